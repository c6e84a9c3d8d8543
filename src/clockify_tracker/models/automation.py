"""automation: a script an organization's administrators run on a cron schedule (the contract's
`automatizaciones`). `next_run_at` is stored, computed in APP_TIMEZONE, so the dispatcher finds
what is due with one indexed query and an edit takes effect at the next tick without a reload."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, Text, false, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from clockify_tracker.models.base import Base, TimestampMixin


class Automation(TimestampMixin, Base):
    __tablename__ = "automation"
    __table_args__ = (
        Index("uq_automation_organization_name", "organization_id", "name", unique=True),
        # The dispatcher's query: active automations whose next run has come.
        Index("ix_automation_due", "next_run_at", postgresql_where=text("active")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    script_path: Mapped[str] = mapped_column(String(500))
    cron_expression: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(server_default=false())
    variables: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    timeout_seconds: Mapped[int] = mapped_column(server_default=text("600"))
    # None: inactive, or a schedule that never fires (`0 0 31 2 *`, "manual only").
    next_run_at: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]
    last_status: Mapped[str | None] = mapped_column(String(16))
    created_by_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("account.id", ondelete="SET NULL")
    )
    # Failure emails go out at most once an hour per automation.
    failure_notified_at: Mapped[datetime | None]
