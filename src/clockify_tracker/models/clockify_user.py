"""clockify_user: a person tracked in Clockify (the seed's `users`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, func, text, true
from sqlalchemy.orm import Mapped, mapped_column

from clockify_tracker.models.base import Base, TimestampMixin


class ClockifyUser(TimestampMixin, Base):
    __tablename__ = "clockify_user"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Clockify never sends it; set by a coordinator and never overwritten by a webhook.
    email: Mapped[str | None] = mapped_column(String(320))
    clockify_status: Mapped[str | None] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(server_default=true())
    disabled_at: Mapped[datetime | None]
    notify: Mapped[bool] = mapped_column(server_default=true())
    hours_per_month: Mapped[int | None]
    time_zone: Mapped[str | None] = mapped_column(String(64))


# One email per person within an organization (case-insensitive); many users have none.
Index(
    "uq_clockify_user_email",
    ClockifyUser.organization_id,
    func.lower(ClockifyUser.email),
    unique=True,
    postgresql_where=text("email IS NOT NULL"),
)
