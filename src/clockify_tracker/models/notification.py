"""notification: an email owed to coordinators (and the user), written in the transaction of the
change that caused it. The email issue renders and delivers them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Identity, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from clockify_tracker.models.base import Base


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))  # started, stopped, edited, review, ...
    session_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("clockify_session.id", ondelete="RESTRICT"), index=True
    )
    clockify_user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("clockify_user.id", ondelete="RESTRICT")
    )
    context: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
