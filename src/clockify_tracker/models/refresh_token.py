"""refresh_token: server-side state of each refresh token, for single use and family revocation."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, func
from sqlalchemy.orm import Mapped, mapped_column

from clockify_tracker.models.base import Base


class RefreshToken(Base):
    __tablename__ = "refresh_token"

    jti: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # Every token rotated from one login shares the family; reuse of a spent one revokes it.
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    issued_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
