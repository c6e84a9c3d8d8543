"""The report schedule: each due period becomes one job per organization, whoever asks and
however often, and is delivered once even with two beats running."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from clockify_tracker.config import Settings
from clockify_tracker.kit.db import Database
from clockify_tracker.models import ReportJob
from clockify_tracker.report.service import schedule_due
from tests.fixtures.smtp import ReceivedMail
from tests.fixtures.stack import Stack
from tests.support.factories import create_organization
from tests.support.polling import eventually
from tests.support.reports import (
    LATEST_PERIODS_DUE,
    create_user,
    work_in_latest_periods,
)

MX = ZoneInfo("America/Mexico_City")
MONDAY_MORNING = datetime(2026, 12, 7, 7, 30, tzinfo=MX)


async def jobs(db: Database) -> list[ReportJob]:
    async with db.unit_of_work() as session:
        return list(await session.scalars(select(ReportJob).order_by(ReportJob.id)))


async def test_a_due_period_becomes_one_job_per_organization_however_often_it_is_checked(
    db: Database,
) -> None:
    alfa = await create_organization(db, "Alfa")
    beta = await create_organization(db, "Beta")
    enabled = Settings(reports_schedule_enabled=True)

    async with db.unit_of_work() as session:
        created = await schedule_due(session, enabled, MONDAY_MORNING)
    async with db.unit_of_work() as session:
        again = await schedule_due(session, enabled, MONDAY_MORNING + timedelta(hours=1))

    assert len(created) == 2
    assert again == []
    rows = await jobs(db)
    assert {(j.organization_id, j.kind, str(j.period_start), str(j.period_end)) for j in rows} == {
        (alfa.id, "weekly", "2026-11-30", "2026-12-06"),
        (beta.id, "weekly", "2026-11-30", "2026-12-06"),
    }
    assert {j.trigger for j in rows} == {"schedule"}


async def test_the_schedule_works_once_postgres_plans_its_insert_generically(
    db: Database,
) -> None:
    """asyncpg prepares statements, and after a few runs PostgreSQL may switch a prepared
    statement to a generic plan, where a partial index's predicate must match without knowing
    the parameters. Forced here, so the beat's sixth tick is not where this is found."""
    await create_organization(db, "Alfa")
    enabled = Settings(reports_schedule_enabled=True)

    for hours in range(3):
        async with db.unit_of_work() as session:
            await session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
            await schedule_due(session, enabled, MONDAY_MORNING + timedelta(hours=hours))

    assert [(j.kind, str(j.period_start)) for j in await jobs(db)] == [("weekly", "2026-11-30")]


async def test_nothing_is_scheduled_before_the_hour_or_when_turned_off(db: Database) -> None:
    await create_organization(db, "Alfa")

    async with db.unit_of_work() as session:
        early = await schedule_due(
            session, Settings(reports_schedule_enabled=True),
            MONDAY_MORNING.replace(hour=6, minute=59),
        )  # fmt: skip
        off = await schedule_due(session, Settings(reports_schedule_enabled=False), MONDAY_MORNING)

    assert (early, off) == ([], [])


@pytest.mark.slow
async def test_a_period_is_delivered_once_with_two_beat_processes(stack: Stack) -> None:
    """Both beats check every second, with a catch-up window wide enough that the latest
    weekly and monthly periods are due whatever today is."""
    organization = await create_organization(stack.db, "default")
    ana = await create_user(stack.db, organization, "Ana Pérez", email="ana@example.com")
    week, month = await work_in_latest_periods(stack.db, ana)
    schedule_on = {**LATEST_PERIODS_DUE, "REPORT_SCHEDULE_INTERVAL": "1"}
    workers = [stack.worker(schedule_on), stack.worker(schedule_on)]
    try:
        # Weekly and monthly: the coordinators' workbook and Ana's, each.
        await eventually(lambda: _delivered(stack, 4), within=60)
        await asyncio.sleep(4)  # both beats checked again, several times
    finally:
        for worker in workers:
            worker.stop()
    subjects = Counter(
        (m.message["Subject"], tuple(sorted(m.rcpt_tos))) for m in stack.smtp.messages
    )
    assert len(stack.smtp.messages) == 4, subjects
    assert set(subjects.values()) == {1}
    assert {subject for subject, _ in subjects} == {
        "Reporte semanal de Clockify - Coordinación", "Reporte semanal de Clockify - Ana Pérez",
        "Reporte mensual de Clockify - Coordinación", "Reporte mensual de Clockify - Ana Pérez",
    }  # fmt: skip
    scheduled = await jobs(stack.db)
    assert sorted((j.kind, j.status) for j in scheduled) == [
        ("monthly", "done"), ("weekly", "done"),
    ]  # fmt: skip
    assert {(j.period_start, j.period_end) for j in scheduled} == {
        (week.start, week.end), (month.start, month.end),
    }  # fmt: skip


async def _delivered(stack: Stack, count: int) -> list[ReceivedMail] | None:
    return list(stack.smtp.messages) if len(stack.smtp.messages) >= count else None
