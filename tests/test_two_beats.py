"""Two workers, each with its own beat, for three minutes over everything beat drives at once:
automations due every minute, the open-session monitor and the report schedule. Every tick runs
once, every report period is sent once, an overtime session is flagged and notified once (also
one that crosses the threshold while the beats are running). On the stack of its own."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from clockify_tracker.kit.db import Database
from clockify_tracker.models import (
    AutomationRun,
    ClockifySession,
    EmailMessage,
    ReportJob,
)
from tests.fixtures.stack import Stack
from tests.support.factories import create_organization
from tests.support.polling import eventually
from tests.support.reports import (
    LATEST_PERIODS_DUE,
    create_session,
    create_user,
    overtime_counts,
    work_in_latest_periods,
)

pytestmark = pytest.mark.slow

RUN_SECONDS = 180
AUTOMATIONS = 5
OVERTIME_HOURS = 5
# Appends the automation's name to a shared file: one line per time the script really ran.
MARK_SCRIPT = """\
import os

with open(os.environ["VAR_LOCAL_ARCHIVO"], "a", encoding="utf-8") as marks:
    marks.write(os.environ["VAR_LOCAL_NOMBRE"] + "\\n")
print("marcado")
"""


def next_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=1)


async def seed_automations(
    db: Database, organization_id: int, marks: Path, first: datetime
) -> None:
    async with db.unit_of_work() as session:
        for n in range(AUTOMATIONS):
            variables = {"ARCHIVO": str(marks), "NOMBRE": f"tarea_{n}"}
            await session.execute(
                text(
                    "INSERT INTO automation (organization_id, name, script_path, cron_expression,"
                    " active, next_run_at, variables)"
                    " VALUES (:org, :name, 'marca.py', '* * * * *', true, :at,"
                    " CAST(:vars AS jsonb))"
                ),
                {"org": organization_id, "name": f"prod_tarea_{n}", "at": first,
                 "vars": json.dumps(variables)},
            )  # fmt: skip


async def runs(db: Database) -> list[AutomationRun]:
    async with db.unit_of_work() as session:
        return list(await session.scalars(select(AutomationRun).order_by(AutomationRun.id)))


async def settled(db: Database) -> bool:
    """No run queued or running."""
    return all(run.status not in ("pendiente", "ejecutando") for run in await runs(db))


@pytest.mark.timeout(RUN_SECONDS + 180)
async def test_two_beats_for_three_minutes_run_each_tick_once_and_send_each_period_once(
    stack: Stack, exchange: Path
) -> None:
    scripts = exchange / "scripts"
    scripts.mkdir()
    (scripts / "marca.py").write_text(MARK_SCRIPT)
    marks = exchange / "marks.txt"
    organization = await create_organization(stack.db, "default")
    # Reports: sessions in the latest week and month, both periods due (wide catch-up window).
    ana = await create_user(stack.db, organization, "Ana Pérez", email="ana@example.com")
    await work_in_latest_periods(stack.db, ana)
    # The monitor: one timer already past the threshold, one that crosses it a minute in.
    now = datetime.now(UTC)
    over = await create_session(stack.db, ana, now - timedelta(hours=OVERTIME_HOURS + 2), None)
    crossing_at = now + timedelta(seconds=60)
    crossing = await create_session(
        stack.db, ana, crossing_at - timedelta(hours=OVERTIME_HOURS), None
    )
    first_tick = next_minute(now)
    await seed_automations(stack.db, organization.id, marks, first_tick)

    beat_env = {
        "AUTOMATIONS_DIR": str(scripts),
        "AUTOMATION_DISPATCH_INTERVAL": "2",
        "MONITOR_INTERVAL_SECONDS": "2",
        "OVERTIME_HOURS": str(OVERTIME_HOURS),
        **LATEST_PERIODS_DUE,
        "REPORT_SCHEDULE_INTERVAL": "2",
    }
    workers = [stack.worker(beat_env), stack.worker(beat_env)]
    try:
        await asyncio.sleep(RUN_SECONDS)
        # Pause the organization's automations so no new tick starts, then let the last finish.
        async with stack.db.unit_of_work() as session:
            await session.execute(text("UPDATE organization SET automations_paused = true"))
        stopped = datetime.now(UTC)
        await eventually(lambda: settled(stack.db), within=60)
        await asyncio.sleep(3)  # both beats had their chances to send anything again
        alive = [worker.process.poll() is None for worker in workers]
    finally:
        for worker in workers:
            worker.stop()
    assert alive == [True, True], "\n".join(worker.log()[-2000:] for worker in workers)

    # Every minute tick from the first to the pause ran once per automation, and succeeded.
    all_runs = await runs(stack.db)
    ticks = []
    tick = first_tick
    while tick <= stopped:
        ticks.append(tick)
        tick += timedelta(minutes=1)
    assert len(ticks) >= 3
    by_automation: dict[int, list[datetime]] = {}
    for run in all_runs:
        assert run.scheduled_for is not None
        by_automation.setdefault(run.automation_id, []).append(run.scheduled_for)
    assert len(by_automation) == AUTOMATIONS
    for scheduled in by_automation.values():
        # The tick at the very moment of the pause may or may not have been dispatched.
        assert sorted(scheduled) in (ticks, ticks[:-1]), (sorted(scheduled), ticks)
    assert Counter(run.status for run in all_runs) == Counter({"exitoso": len(all_runs)})
    # ...and each run ran its script exactly once.
    names = Counter(marks.read_text().split())
    assert names == Counter(
        {f"tarea_{automation_id - min(by_automation)}": len(scheduled)
         for automation_id, scheduled in by_automation.items()}
    )  # fmt: skip

    # The monitor: both timers flagged and notified once.
    assert (await overtime_counts(stack.db, over.id))[:2] == (1, 1)
    assert (await overtime_counts(stack.db, crossing.id))[:2] == (1, 1)
    async with stack.db.unit_of_work() as session:
        flags = list(await session.scalars(select(ClockifySession.overtime)))
        email_kinds = Counter(await session.scalars(select(EmailMessage.kind)))
        jobs = list(await session.scalars(select(ReportJob)))
    assert flags.count(True) == 2

    # Reports: the weekly and monthly periods, each one job, each workbook emailed once.
    assert sorted((job.kind, job.status) for job in jobs) == [
        ("monthly", "done"),
        ("weekly", "done"),
    ]
    assert email_kinds["overtime"] == 4, email_kinds  # coordinators and Ana, for each timer
    ids = Counter(m.message["Message-ID"] for m in stack.smtp.messages)
    assert set(ids.values()) == {1}, "no email twice"
    reports = Counter(
        m.message["Subject"]
        for m in stack.smtp.messages
        if m.message["Subject"].startswith("Reporte")
    )
    assert reports == Counter(
        f"Reporte {period} de Clockify - {whom}"
        for period in ("semanal", "mensual")
        for whom in ("Coordinación", "Ana Pérez")
    )
    assert len(stack.smtp.messages) == 4 + email_kinds["overtime"]
