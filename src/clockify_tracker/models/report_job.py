"""report_job: a report asked for (by a coordinator or by the schedule), built by the worker.

The row is the report's outbox entry: written in the request's transaction, claimed by a status
transition (pending -> running under a lease), and finished in the transaction that queues its
emails. A scheduled period has one row per organization, enforced here, so a restart, two beat
processes or a retry can never send it twice."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from clockify_tracker.models.base import Base, TimestampMixin


class ReportJob(TimestampMixin, Base):
    __tablename__ = "report_job"
    __table_args__ = (
        CheckConstraint("kind IN ('weekly', 'monthly', 'custom')", name="kind_valid"),
        CheckConstraint("trigger IN ('schedule', 'manual')", name="trigger_valid"),
        CheckConstraint("status IN ('pending', 'running', 'done', 'failed')", name="status_valid"),
        CheckConstraint("period_start <= period_end", name="period_ordered"),
        Index(
            "uq_report_job_scheduled_period",
            "organization_id",
            "kind",
            "period_start",
            unique=True,
            postgresql_where=text("trigger = 'schedule'"),
        ),
        Index(
            "ix_report_job_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[date]
    period_end: Mapped[date]
    # A custom report: one user, sent to one address.
    clockify_user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("clockify_user.id", ondelete="CASCADE")
    )
    email_to: Mapped[str | None] = mapped_column(String(320))
    requested_by: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
    # The workbook a coordinator downloads: the coordinators' one, or the custom report.
    file_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("stored_file.id", ondelete="SET NULL")
    )
    # What it produced: {"users": 12, "sessions": 340, "emails": 13}.
    summary: Mapped[dict[str, int]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
