"""clockify_session: one Clockify time entry (the seed's `sesiones`), with its audit state."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    String,
    Text,
    false,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from clockify_tracker.models.base import Base, TimestampMixin


class ClockifySession(TimestampMixin, Base):
    __tablename__ = "clockify_session"
    __table_args__ = (
        CheckConstraint(
            "status IS NULL OR status IN ('APROBADO', 'EN OBSERVACION', 'REPROBADO')",
            name="status_valid",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    # Clockify's time-entry id: one session per entry, enforced here.
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    clockify_user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("clockify_user.id", ondelete="RESTRICT"), index=True
    )
    workspace_id: Mapped[str] = mapped_column(String(64))
    # The name a client sent with a session made by hand; webhooks never carry one.
    workspace_name: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    project_id: Mapped[str | None] = mapped_column(String(64))
    project_name: Mapped[str | None] = mapped_column(Text)
    task_id: Mapped[str | None] = mapped_column(String(64))
    task_name: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    billable: Mapped[bool | None]
    start_at: Mapped[datetime]
    end_at: Mapped[datetime | None]
    duration_seconds: Mapped[int | None]
    currently_running: Mapped[bool] = mapped_column(server_default=false())
    # The zone for local times and day boundaries: the entry's, the user's, or APP_TIMEZONE.
    time_zone: Mapped[str] = mapped_column(String(64))
    local_date: Mapped[date] = mapped_column(index=True)
    offset_start: Mapped[int | None]
    offset_end: Mapped[int | None]
    zoned_start: Mapped[str | None] = mapped_column(String(32))
    zoned_end: Mapped[str | None] = mapped_column(String(32))
    is_manual: Mapped[bool] = mapped_column(server_default=false())
    overtime: Mapped[bool] = mapped_column(server_default=false())
    overtime_notified: Mapped[bool] = mapped_column(server_default=false())
    updating_quantity: Mapped[int] = mapped_column(server_default=text("0"))
    # Edits of the times: the ones that can send a session to review.
    time_edits: Mapped[int] = mapped_column(server_default=text("0"))
    needs_review: Mapped[bool] = mapped_column(server_default=false())
    # A coordinator's decision covers the edits of the times counted up to reviewed_quantity.
    decision: Mapped[str | None] = mapped_column(String(16))
    reviewed_quantity: Mapped[int | None]
    observation: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str | None] = mapped_column(String(16))
    valid_start_at: Mapped[datetime | None]
    valid_end_at: Mapped[datetime | None]
    valid_duration_seconds: Mapped[int | None]
    enabled: Mapped[bool] = mapped_column(server_default=true())
    disabled_at: Mapped[datetime | None]
