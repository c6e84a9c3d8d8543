"""clockify_event: the inbox of webhook deliveries. The request only stores the delivery; a task
applies it. Every distinct delivery is kept, so a session can be rebuilt from them whatever
order they arrived in, and a repeated delivery is recognised."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Identity,
    Index,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from clockify_tracker.models.base import Base


class ClockifyEvent(Base):
    __tablename__ = "clockify_event"
    __table_args__ = (
        # The same body for the same event is one delivery, however often it arrives.
        Index("uq_clockify_event_delivery", "entry_id", "event", "body_hash", unique=True),
        # The sweeper's scan: deliveries not yet applied.
        Index(
            "ix_clockify_event_unprocessed",
            "received_at",
            postgresql_where=text("processed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # Known once the delivery is applied (the workspace's owner is resolved then).
    organization_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("organization.id", ondelete="RESTRICT")
    )
    entry_id: Mapped[str] = mapped_column(String(64), index=True)
    workspace_id: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(16))
    # Canonical position among the entry's events (start < running edit < stop < edit < delete).
    rank: Mapped[int] = mapped_column(SmallInteger)
    body_hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    processed_at: Mapped[datetime | None]
    # created, updated, unchanged, ignored: what applying it did to the session.
    outcome: Mapped[str | None] = mapped_column(String(16))
    # Failed attempts to apply it; the sweeper gives up at MAX_APPLY_ATTEMPTS, the error stays.
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
