"""The open-session monitor: a running timer past OVERTIME_HOURS is flagged, audited and
notified once, whoever runs the pass and however often."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from clockify_tracker.clockify.monitor import flag_running_overtime
from clockify_tracker.config import Settings
from clockify_tracker.kit.db import Database
from clockify_tracker.models import BinnacleEntry, ClockifySession
from tests.fixtures.stack import Stack
from tests.support.clockify import deliver, entry
from tests.support.factories import create_organization
from tests.support.polling import eventually
from tests.support.reports import create_session, create_user, overtime_counts


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_a_long_running_timer_is_flagged_once_and_a_short_one_is_not(db: Database) -> None:
    organization = await create_organization(db, "default")
    ana = await create_user(db, organization, "Ana Pérez", email="ana@example.com")
    now = datetime.now(UTC)
    long = await create_session(db, ana, now - timedelta(hours=6), None)
    short = await create_session(db, ana, now - timedelta(hours=4), None)
    stopped = await create_session(db, ana, now - timedelta(hours=9), now - timedelta(hours=1))

    async with db.unit_of_work() as session:
        first = await flag_running_overtime(session, Settings(), now)
    async with db.unit_of_work() as session:
        second = await flag_running_overtime(session, Settings(), now + timedelta(minutes=1))

    assert (first, second) == (1, 0)
    assert await overtime_counts(db, long.id) == (1, 1, 2), "coordinators and Ana: two emails, once"
    async with db.unit_of_work() as session:
        flags = dict(
            (await session.execute(select(ClockifySession.id, ClockifySession.overtime))).all()
        )
        entry = await session.scalar(
            select(BinnacleEntry).where(BinnacleEntry.session_id == long.id)
        )
    assert flags == {long.id: True, short.id: False, stopped.id: False}
    assert entry is not None
    assert entry.event == "overtime"
    assert {"field": "overtime", "old": False, "new": True} in entry.changes


async def test_stopping_a_flagged_timer_does_not_notify_overtime_again(
    client: httpx.AsyncClient, db: Database
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(hours=6)
    running = entry("6650aa00aa00aa00aa0f0001", start=iso(start), end=None, duration=None)
    await deliver(client, db, "start", running)
    async with db.unit_of_work() as session:
        assert await flag_running_overtime(session, Settings(), now) == 1
        row = await session.scalar(select(ClockifySession))
    assert row is not None

    stopped = entry("6650aa00aa00aa00aa0f0001", start=iso(start), end=iso(now), duration="PT6H")
    await deliver(client, db, "end", stopped)
    edited = entry("6650aa00aa00aa00aa0f0001", start=iso(start), end=iso(now),
                         duration="PT6H", description="Otra")  # fmt: skip
    await deliver(client, db, "edit", edited)

    async with db.unit_of_work() as session:
        after = await session.scalar(select(ClockifySession))
    assert after is not None
    assert after.overtime
    assert (await overtime_counts(db, row.id))[1] == 1, "one overtime notice, from the monitor"


async def test_a_running_timer_flagged_by_the_monitor_stays_flagged_through_an_edit(
    client: httpx.AsyncClient, db: Database
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(hours=6)
    body = entry("6650aa00aa00aa00aa0f0002", start=iso(start), end=None, duration=None)
    await deliver(client, db, "start", body)

    async def monitor_flags_it() -> bool:
        # A pass skips an entry whose ingestion lock is held (the suite's worker may still be
        # applying the same start delivery); the next pass flags it, as beat's would.
        async with db.unit_of_work() as session:
            return await flag_running_overtime(session, Settings(), now) == 1

    await eventually(monitor_flags_it, within=10)

    await deliver(client, db, "edit", {**body, "description": "Renombrada"})

    async with db.unit_of_work() as session:
        row = await session.scalar(select(ClockifySession))
    assert row is not None
    assert row.currently_running
    assert row.overtime, "its length is not known yet; the flag stays until it stops"


@pytest.mark.slow
async def test_two_beats_flag_a_session_once(stack: Stack) -> None:
    organization = await create_organization(stack.db, "default")
    ana = await create_user(stack.db, organization, "Ana Pérez")
    now = datetime.now(UTC)
    running = await create_session(stack.db, ana, now - timedelta(hours=7), None)
    monitor_on = {"MONITOR_INTERVAL_SECONDS": "1"}
    workers = [stack.worker(monitor_on), stack.worker(monitor_on)]
    try:
        await eventually(lambda: _flagged(stack.db, running.id), within=30)
        await eventually(lambda: _mailed(stack, 1), within=30)
        await asyncio.sleep(4)  # both beats ran the monitor several more times
    finally:
        for worker in workers:
            worker.stop()
    assert await overtime_counts(stack.db, running.id) == (1, 1, 1)
    assert len(stack.smtp.messages) == 1
    assert stack.smtp.messages[0].message["Subject"].startswith("Clockify - Sesión en OVERTIME")


async def _flagged(db: Database, session_id: int) -> bool:
    async with db.unit_of_work() as session:
        row = await session.get(ClockifySession, session_id)
        return bool(row and row.overtime)


async def _mailed(stack: Stack, count: int) -> bool:
    return len(stack.smtp.messages) >= count
