"""clockify_workspace: a Clockify workspace and the organization that owns its data."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from clockify_tracker.models.base import Base, TimestampMixin


class ClockifyWorkspace(TimestampMixin, Base):
    __tablename__ = "clockify_workspace"

    # Clockify's own workspace id (24 hex characters).
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(200))
