"""email_message: the email outbox. A row is written in the transaction of the change that
causes it; a task claims it (status and lease), sends it, and records the outcome."""

from __future__ import annotations

from datetime import datetime

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


class EmailMessage(TimestampMixin, Base):
    __tablename__ = "email_message"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status_valid"),
        Index(
            "ix_email_message_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'sending')"),
        ),
        # Coordinators list the failed ones, newest first.
        Index("ix_email_message_failed", "created_at", postgresql_where=text("status = 'failed'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    recipients: Mapped[list[str]] = mapped_column(JSONB)
    subject: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    # Stable per row: a resend after a crash between acceptance and marking is recognisable.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    # Files sent with the email, by reference: [{"file_id": 7}]; the bytes stay in stored_file.
    attachments: Mapped[list[dict[str, int]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb")
    )
