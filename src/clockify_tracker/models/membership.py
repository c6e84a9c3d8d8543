"""membership: an account's role in one organization."""

from __future__ import annotations

import enum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from clockify_tracker.models.base import Base, TimestampMixin


class Role(enum.StrEnum):
    ADMINISTRADOR = "administrador"  # everything in the organization
    COORDINADOR = "coordinador"  # Clockify data: read, approve, reports
    CONTADOR = "contador"  # read only


class Membership(TimestampMixin, Base):
    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint("role IN ('administrador', 'coordinador', 'contador')", name="role_valid"),
    )

    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(20))
