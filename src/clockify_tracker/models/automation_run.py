"""automation_run: one execution of an automation (the contract's `logs_automatizaciones`).

A scheduled tick is unique per automation (`scheduled_for`), so two dispatchers, a restart or a
retried transaction can never run it twice. Status: `pendiente` (queued) -> `en_ejecucion` ->
`exitoso` / `advertencia` / `error`; a tick not run is recorded as `omitida` (the previous run
was still going) or `perdida` (the scheduler was down past the grace period)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from clockify_tracker.models.base import Base

RUN_STATUSES = (
    "pendiente",
    "en_ejecucion",
    "exitoso",
    "advertencia",
    "error",
    "omitida",
    "perdida",
)


class AutomationRun(Base):
    __tablename__ = "automation_run"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in RUN_STATUSES) + ")", name="status_valid"
        ),
        Index(
            "uq_automation_run_tick",
            "automation_id",
            "scheduled_for",
            unique=True,
            postgresql_where=text("scheduled_for IS NOT NULL"),
        ),
        Index("ix_automation_run_automation_started", "automation_id", "created_at"),
        Index(
            "ix_automation_run_open",
            "status",
            postgresql_where=text("status IN ('pendiente', 'en_ejecucion')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    automation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("automation.id", ondelete="CASCADE")
    )
    organization_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    execution_id: Mapped[str] = mapped_column(String(36), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    scheduled: Mapped[bool] = mapped_column(server_default=false())
    scheduled_for: Mapped[datetime | None]
    requested_by_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("account.id", ondelete="SET NULL")
    )
    requested_by_email: Mapped[str] = mapped_column(String(320))
    requested_by_name: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str | None] = mapped_column(Text)
    error_message: Mapped[str | None] = mapped_column(Text)
    output: Mapped[str | None] = mapped_column(Text)
    exit_code: Mapped[int | None]
    timeout_seconds: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    # The live status as the run ended (phases, messages, percentage), for /status afterwards.
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
