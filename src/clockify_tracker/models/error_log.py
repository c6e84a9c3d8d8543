"""error_log: requests that were refused or failed, for coordinators to inspect. Never holds a
token value; holds the raw body only of authenticated requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from clockify_tracker.models.base import Base


class ErrorLog(Base):
    __tablename__ = "error_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(200), index=True)
    method: Mapped[str] = mapped_column(String(10))
    status_code: Mapped[int]
    message: Mapped[str] = mapped_column(Text)
    raw_body: Mapped[str | None] = mapped_column(Text)
    client_address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
