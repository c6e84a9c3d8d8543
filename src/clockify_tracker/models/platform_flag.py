"""platform_flag: switches that belong to no organization (the superadmin's global pause of
the automation scheduler). An organization's own pause is `organization.automations_paused`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, false, func
from sqlalchemy.orm import Mapped, mapped_column

from clockify_tracker.models.base import Base


class PlatformFlag(Base):
    __tablename__ = "platform_flag"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(server_default=false())
    changed_by: Mapped[str | None] = mapped_column(String(320))
    changed_at: Mapped[datetime] = mapped_column(server_default=func.now())
