"""organization: a tenant. Everything else hangs from one, and never crosses to another."""

from __future__ import annotations

from sqlalchemy import BigInteger, Identity, Index, String, false, func
from sqlalchemy.orm import Mapped, mapped_column

from clockify_tracker.models.base import Base, TimestampMixin


class Organization(TimestampMixin, Base):
    __tablename__ = "organization"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    # The database name handed to automation scripts (`org_<slug>` unless set otherwise).
    database_name: Mapped[str] = mapped_column(String(130), unique=True)
    # Its administrators paused the automation scheduler for it (`detener`).
    automations_paused: Mapped[bool] = mapped_column(server_default=false())


# Case-insensitive uniqueness: "Acme" and "ACME" are the same organization.
Index("uq_organization_name_lower", func.lower(Organization.name), unique=True)
