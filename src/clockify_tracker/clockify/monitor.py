"""The open-session monitor: a timer still running past OVERTIME_HOURS is flagged, audited and
notified once, however many beats run it and however often it restarts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.clockify import repository
from clockify_tracker.clockify.ingest import changes_between, notification_context, snapshot
from clockify_tracker.clockify.notify import notify
from clockify_tracker.config import Settings
from clockify_tracker.models import BinnacleEntry

MONITOR_TASK = "clockify.monitor_open_sessions"
BATCH = 500


async def flag_running_overtime(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """One pass: returns how many sessions it flagged. Rows are locked and skipped when taken,
    the entry's ingestion lock is tried, not waited for, and a flagged row no longer matches:
    two passes at once flag a session once."""
    started_before = now - timedelta(hours=settings.overtime_hours)
    flagged = 0
    for row in await repository.running_since_before(session, started_before, BATCH):
        if not await repository.try_lock_entry(session, row.external_id):
            continue  # a webhook for it is being applied; the next pass sees the result
        user = await repository.user_by_id(session, row.clockify_user_id)
        if user is None:
            continue
        before = snapshot(row)
        row.overtime = True
        first_notice = not row.overtime_notified
        row.overtime_notified = True
        await session.flush()
        after = snapshot(row)
        repository.add_binnacle_entry(
            session,
            BinnacleEntry(
                organization_id=row.organization_id, session_id=row.id,
                external_id=row.external_id, event="overtime", source="monitor", actor=None,
                changes=changes_between(before, after), snapshot=after,
            ),
        )  # fmt: skip
        if first_notice:
            await notify(
                session, settings, kind="overtime", organization_id=row.organization_id,
                session_id=row.id, user=user, context=notification_context(row, user),
            )  # fmt: skip
        flagged += 1
    return flagged
