"""account: a person who logs in to the browser frontend or Swagger UI."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, Text, false, func, true
from sqlalchemy.orm import Mapped, mapped_column

from clockify_tracker.models.base import Base, TimestampMixin


class Account(TimestampMixin, Base):
    __tablename__ = "account"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(server_default=true())
    is_superadmin: Mapped[bool] = mapped_column(server_default=false())
    active_organization_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("organization.id", ondelete="SET NULL")
    )
    last_login_at: Mapped[datetime | None]
    # Contact details the browser frontend's forms collect and show back; optional.
    phone: Mapped[str | None] = mapped_column(String(30))
    birth_date: Mapped[date | None]


# Case-insensitive uniqueness: "Acme" and "ACME" are the same account.
Index("uq_account_email_lower", func.lower(Account.email), unique=True)
