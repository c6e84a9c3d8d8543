"""membership_event: the append-only record of who added, re-roled or removed a member."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, String, func
from sqlalchemy.orm import Mapped, mapped_column

from clockify_tracker.models.base import Base


class MembershipAction(enum.StrEnum):
    ACCOUNT_CREATED = "cuenta_creada"  # a new account, created with its membership
    ADDED = "agregado"  # an existing account joined the organization
    ROLE_CHANGED = "rol_cambiado"
    REMOVED = "eliminado"


class MembershipEvent(Base):
    __tablename__ = "membership_event"
    __table_args__ = (
        CheckConstraint(
            "action IN ('cuenta_creada', 'agregado', 'rol_cambiado', 'eliminado')",
            name="action_valid",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    # Plain ids, no foreign keys: the record outlives the accounts it names.
    account_id: Mapped[int] = mapped_column(BigInteger)
    account_email: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(20))
    old_role: Mapped[str | None] = mapped_column(String(20))
    new_role: Mapped[str | None] = mapped_column(String(20))
    # The administrator who did it, or `cli` / `registro` for the command line and sign-up.
    actor: Mapped[str] = mapped_column(String(340))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
