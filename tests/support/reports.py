"""Users and sessions written directly, for report and monitor tests that need exact times."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from clockify_tracker.kit.db import Database
from clockify_tracker.models import ClockifySession, ClockifyUser, Organization

_ids = itertools.count(1)


async def create_user(
    db: Database,
    organization: Organization,
    name: str,
    *,
    email: str | None = None,
    hours_per_month: int | None = None,
    **overrides: Any,
) -> ClockifyUser:
    async with db.unit_of_work() as session:
        user = ClockifyUser(
            organization_id=organization.id, external_id=f"6650ffff{next(_ids):016x}",
            name=name, email=email, hours_per_month=hours_per_month, **overrides,
        )  # fmt: skip
        session.add(user)
        await session.flush()
        return user


async def create_session(
    db: Database,
    user: ClockifyUser,
    start: datetime,
    end: datetime | None,
    *,
    time_zone: str = "America/Mexico_City",
    **overrides: Any,
) -> ClockifySession:
    """A session as ingestion leaves it: valid values equal to the times, status APROBADO."""
    duration = int((end - start).total_seconds()) if end else None
    values: dict[str, Any] = {
        "organization_id": user.organization_id,
        "external_id": f"6650eeee{next(_ids):016x}",
        "clockify_user_id": user.id,
        "workspace_id": "6650cccccccccccccccc0000",
        "description": "Trabajo",
        "project_name": "Proyecto Interno",
        "start_at": start,
        "end_at": end,
        "duration_seconds": duration,
        "currently_running": end is None,
        "time_zone": time_zone,
        "local_date": start.astimezone(ZoneInfo(time_zone)).date(),
        "status": "APROBADO",
        "valid_start_at": start,
        "valid_end_at": end,
        "valid_duration_seconds": duration,
        **overrides,
    }
    async with db.unit_of_work() as session:
        row = ClockifySession(**values)
        session.add(row)
        await session.flush()
        return row


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def hours(value: float) -> timedelta:
    return timedelta(hours=value)
