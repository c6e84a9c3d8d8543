"""clockify_user_change: the append-only record of sensitive changes to a Clockify user (today
its email: where its reports go), with who made them and who confirmed them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, String, func
from sqlalchemy.orm import Mapped, mapped_column

from clockify_tracker.models.base import Base


class UserChangeEvent(enum.StrEnum):
    EMAIL_CHANGED = "email_changed"  # set, replaced or cleared through the API
    EMAIL_CONFIRMED = "email_confirmed"  # an administrator (or the service token) vouched for it


class ClockifyUserChange(Base):
    __tablename__ = "clockify_user_change"
    __table_args__ = (
        CheckConstraint("event IN ('email_changed', 'email_confirmed')", name="event_valid"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    clockify_user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("clockify_user.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(32))
    old_email: Mapped[str | None] = mapped_column(String(320))
    new_email: Mapped[str | None] = mapped_column(String(320))
    # An account's email, or `token:SECRET_TOKEN` for the service token.
    actor: Mapped[str] = mapped_column(String(340))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
