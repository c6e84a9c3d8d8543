"""The dispatcher: each tick recorded once however many dispatchers race, overlaps skipped,
late ticks run or recorded as missed, pauses respected. On the stack's database, where no
worker runs the queued runs."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text, update

from clockify_tracker.automation import repository
from clockify_tracker.automation.service import dispatch
from clockify_tracker.config import Settings
from clockify_tracker.kit.db import Database
from clockify_tracker.models import Automation, AutomationRun, Organization
from tests.fixtures.stack import Stack
from tests.support.factories import create_organization

MX = ZoneInfo("America/Mexico_City")
SETTINGS = Settings()


async def seed(
    db: Database, organization: Organization, count: int, cron: str, next_run_at: datetime
) -> None:
    async with db.unit_of_work() as session:
        await session.execute(
            text(
                "INSERT INTO automation (organization_id, name, script_path, cron_expression,"
                " active, next_run_at)"
                " SELECT :org, 'prod_tarea_' || n, 'ok.py', :cron, true, :at"
                " FROM generate_series(1, :count) AS n"
            ),
            {"org": organization.id, "cron": cron, "at": next_run_at, "count": count},
        )


async def passes(db: Database, now: datetime) -> int:
    """Dispatch until nothing is due, as the task does; returns the runs queued."""
    queued = 0
    while True:
        async with db.unit_of_work() as session:
            run_ids = await dispatch(session, SETTINGS, now)
        queued += len(run_ids)
        if not run_ids:
            return queued


async def runs(db: Database) -> list[AutomationRun]:
    async with db.unit_of_work() as session:
        return list(await session.scalars(select(AutomationRun).order_by(AutomationRun.id)))


def minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


async def test_two_dispatchers_racing_over_1000_due_automations_run_each_tick_once(
    stack: Stack,
) -> None:
    organization = await create_organization(stack.db, "Alfa")
    tick = minute(datetime.now(UTC))
    await seed(stack.db, organization, 1000, "* * * * *", tick)

    queued = await asyncio.gather(passes(stack.db, tick + timedelta(seconds=1)),
                                  passes(stack.db, tick + timedelta(seconds=1)))  # fmt: skip

    rows = await runs(stack.db)
    assert sum(queued) == 1000
    assert len(rows) == 1000
    assert Counter(r.automation_id for r in rows).most_common(1)[0][1] == 1
    assert {r.status for r in rows} == {"pendiente"}
    assert {r.scheduled_for for r in rows} == {tick}
    assert {r.requested_by_email for r in rows} == {"scheduler@system"}
    async with stack.db.unit_of_work() as session:
        next_runs = set(await session.scalars(select(Automation.next_run_at)))
    assert next_runs == {tick + timedelta(minutes=1)}


async def test_a_tick_is_skipped_while_the_previous_run_is_still_going(stack: Stack) -> None:
    organization = await create_organization(stack.db, "Alfa")
    tick = minute(datetime.now(UTC))
    await seed(stack.db, organization, 1, "* * * * *", tick)
    await passes(stack.db, tick + timedelta(seconds=5))

    later = tick + timedelta(minutes=1)
    await passes(stack.db, later + timedelta(seconds=5))

    first, second = await runs(stack.db)
    assert (first.status, second.status) == ("pendiente", "omitida")
    assert second.message == "La ejecución anterior seguía en curso"
    assert second.scheduled_for == later


async def test_a_late_tick_within_the_grace_runs_once(stack: Stack) -> None:
    organization = await create_organization(stack.db, "Alfa")
    tick = datetime(2026, 12, 7, 9, 0, tzinfo=MX)
    await seed(stack.db, organization, 1, "0 9 * * 1-5", tick)

    await passes(stack.db, tick + timedelta(minutes=3))  # back up 3 minutes late

    (row,) = await runs(stack.db)
    assert (row.status, row.scheduled_for) == ("pendiente", tick)
    async with stack.db.unit_of_work() as session:
        following = await session.scalar(select(Automation.next_run_at))
    assert following == datetime(2026, 12, 8, 9, 0, tzinfo=MX)


async def test_a_tick_missed_past_the_grace_is_recorded_and_the_schedule_moves_on(
    stack: Stack,
) -> None:
    organization = await create_organization(stack.db, "Alfa")
    tick = datetime(2026, 12, 7, 9, 0, tzinfo=MX)
    await seed(stack.db, organization, 1, "0 9 * * 1-5", tick)

    queued = await passes(stack.db, tick + timedelta(hours=2))

    (row,) = await runs(stack.db)
    assert queued == 0
    assert (row.status, row.scheduled_for) == ("perdida", tick)
    async with stack.db.unit_of_work() as session:
        following = await session.scalar(select(Automation.next_run_at))
    assert following == datetime(2026, 12, 8, 9, 0, tzinfo=MX)


async def test_after_long_downtime_only_the_latest_tick_runs_and_the_first_missed_is_noted(
    stack: Stack,
) -> None:
    organization = await create_organization(stack.db, "Alfa")
    first_due = datetime(2026, 12, 7, 9, 0, tzinfo=MX)
    await seed(stack.db, organization, 1, "*/15 * * * *", first_due)

    await passes(stack.db, datetime(2026, 12, 7, 11, 2, tzinfo=MX))

    missed, ran = await runs(stack.db)
    assert (missed.status, missed.scheduled_for) == ("perdida", first_due)
    assert "no corrieron" in (missed.message or "")
    assert (ran.status, ran.scheduled_for) == ("pendiente", datetime(2026, 12, 7, 11, 0, tzinfo=MX))


@pytest.mark.parametrize("scope", ["organization", "everything"])
async def test_a_paused_scheduler_dispatches_nothing(stack: Stack, scope: str) -> None:
    organization = await create_organization(stack.db, "Alfa")
    tick = minute(datetime.now(UTC))
    await seed(stack.db, organization, 3, "* * * * *", tick)
    async with stack.db.unit_of_work() as session:
        if scope == "organization":
            await repository.set_organization_paused(session, organization.id, True)
        else:
            await repository.set_everything_paused(session, True, "root@example.com")

    assert await passes(stack.db, tick + timedelta(seconds=1)) == 0
    async with stack.db.unit_of_work() as session:
        await session.execute(update(Organization).values(automations_paused=False))
        await repository.set_everything_paused(session, False, "root@example.com")
        assert await session.scalar(select(func.count()).select_from(AutomationRun)) == 0

    assert await passes(stack.db, tick + timedelta(seconds=1)) == 3
