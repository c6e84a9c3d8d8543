"""stored_file: a file the service produced (an Excel report) kept in PostgreSQL, so the API
and every worker reach it without a shared disk. Emails attach files by reference to it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, LargeBinary, String, func
from sqlalchemy.orm import Mapped, deferred, mapped_column

from clockify_tracker.models.base import Base


class StoredFile(Base):
    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    # Deferred: listing files never loads their bytes.
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
