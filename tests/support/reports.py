"""Users and sessions written directly, for report and monitor tests that need exact times."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from clockify_tracker.kit.db import Database
from clockify_tracker.models import (
    BinnacleEntry,
    ClockifySession,
    ClockifyUser,
    EmailMessage,
    Notification,
    Organization,
)
from clockify_tracker.report import periods

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


async def overtime_counts(db: Database, session_id: int) -> tuple[int, int, int]:
    """(monitor binnacle entries, overtime notifications, overtime emails) of the session."""
    async with db.unit_of_work() as session:
        binnacle = await session.scalar(
            select(func.count()).where(
                BinnacleEntry.session_id == session_id, BinnacleEntry.source == "monitor"
            )
        )
        notices = await session.scalar(
            select(func.count()).where(
                Notification.session_id == session_id, Notification.kind == "overtime"
            )
        )
        emails = await session.scalar(select(func.count()).where(EmailMessage.kind == "overtime"))
    return int(binnacle or 0), int(notices or 0), int(emails or 0)


# Worker settings under which the latest weekly and monthly periods are due whatever today is:
# a catch-up window wider than a month, and the send hour at midnight.
LATEST_PERIODS_DUE = {
    "REPORTS_SCHEDULE_ENABLED": "true",
    "REPORT_CATCH_UP_HOURS": str(24 * 45),
    "REPORT_SEND_HOUR": "0",
}


async def work_in_latest_periods(
    db: Database, user: ClockifyUser
) -> tuple[periods.Period, periods.Period]:
    """A three-hour session in the latest week and one in the latest month, so both reports
    have rows; returns (week, month)."""
    mexico = ZoneInfo("America/Mexico_City")
    today = datetime.now(mexico).date()
    week, month = periods.previous_week(today), periods.previous_month(today)
    for day in (week.start + timedelta(days=1), month.start + timedelta(days=2)):
        start = datetime.combine(day, time(9), mexico).astimezone(UTC)
        await create_session(db, user, start, start + timedelta(hours=3))
    return week, month
