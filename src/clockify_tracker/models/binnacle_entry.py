"""binnacle_entry: the append-only audit log of every change to a session (the seed's
`sesiones_binnacle`). A database trigger refuses UPDATE and DELETE."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Identity, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from clockify_tracker.models.base import Base


class BinnacleEntry(Base):
    __tablename__ = "binnacle_entry"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    session_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("clockify_session.id", ondelete="RESTRICT"), index=True
    )
    external_id: Mapped[str] = mapped_column(String(64), index=True)
    event: Mapped[str] = mapped_column(String(32))  # start, end, edit, delete, manual, api, ...
    source: Mapped[str] = mapped_column(String(16))  # webhook, api, monitor
    actor: Mapped[str | None] = mapped_column(String(320))
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
