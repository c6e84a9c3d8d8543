"""How fast does a minute with 10,000 due automations get dispatched, and what does an idle
dispatcher cost?

Seeds ORGS organizations with AUTOMATIONS active `* * * * *` automations in all, every one due
on the same minute, then, in this process and against the real PostgreSQL and Redis:
  dispatch   the dispatcher's passes as the beat task runs them (claim with SKIP LOCKED,
             record each tick once, advance next_run_at, commit, send the runs to Celery
             RUNS_PER_MESSAGE to a message), from the tick to the last message on the queue
  floor      the same number of run rows written by one INSERT ... SELECT plus the same
             messages through the same publisher: what any design must pay
  idle       dispatcher passes with nothing due, at the beat interval for one minute: CPU time
Target: all dispatched within 5 s; idle cost negligible.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

from bench._services import configure_bench_environment

SERVICES = configure_bench_environment()

from redis import Redis  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from clockify_tracker.automation import repository, service  # noqa: E402
from clockify_tracker.config import Settings  # noqa: E402
from clockify_tracker.kit.celery_app import create_celery_app  # noqa: E402
from clockify_tracker.kit.db import Database  # noqa: E402
from clockify_tracker.kit.outbox import CeleryPublisher, OutboxDispatcher  # noqa: E402
from clockify_tracker.models import AutomationRun  # noqa: E402

QUEUE = "default"


async def seed(database: Database, organizations: int, automations: int, due: datetime) -> None:
    async with database.unit_of_work() as session:
        await session.execute(text(
            "INSERT INTO organization (name, slug, database_name)"
            " SELECT 'Org ' || n, 'org' || n, 'org_org' || n FROM generate_series(1, :n) AS n"
        ), {"n": organizations})  # fmt: skip
        await session.execute(text(
            "INSERT INTO automation (organization_id, name, script_path, cron_expression, active,"
            " next_run_at)"
            " SELECT o.id, 'prod_tarea_' || n, 'ok.py', '* * * * *', true, :due"
            " FROM organization o CROSS JOIN generate_series(1, :per) AS n"
        ), {"per": automations // organizations, "due": due})  # fmt: skip
        await session.execute(text("ANALYZE automation"))


async def dispatch_all(
    database: Database, dispatcher: OutboxDispatcher, settings: Settings, now: datetime
) -> tuple[int, int]:
    """The beat task's loop (automation/tasks.py), with a given `now`."""
    rows = sent = 0
    while True:
        async with database.unit_of_work() as session:
            run_ids = await service.dispatch(session, settings, now)
            await repository.record_tick(session)
        rows += len(run_ids)
        sent += await dispatcher.signal_each(
            service.RUN_TASK, run_ids, per_message=service.RUNS_PER_MESSAGE
        )
        if len(run_ids) < service.DISPATCH_BATCH:
            return rows, sent


async def floor(database: Database, dispatcher: OutboxDispatcher, count: int) -> float:
    started = time.perf_counter()
    async with database.unit_of_work() as session:
        await session.execute(text(
            "INSERT INTO automation_run (automation_id, organization_id, execution_id, status,"
            " scheduled, scheduled_for, requested_by_email, timeout_seconds)"
            " SELECT id, organization_id, gen_random_uuid()::text, 'pendiente', true,"
            " now() + interval '1 day', 'scheduler@system', 600 FROM automation"
        ))  # fmt: skip
    await dispatcher.signal_each(
        "bench.floor", list(range(count)), per_message=service.RUNS_PER_MESSAGE
    )
    return time.perf_counter() - started


async def main(organizations: int, automations: int, idle_seconds: float) -> None:
    settings = Settings()
    database = Database(settings.database_url, pool_size=2)
    redis = Redis.from_url(settings.redis_url.get_secret_value())
    redis.delete(QUEUE)
    dispatcher = OutboxDispatcher(database, CeleryPublisher(create_celery_app(settings)))
    tick = datetime.now(UTC).replace(second=0, microsecond=0)
    await seed(database, organizations, automations, tick)
    print(f"seeded {organizations} organizations, {automations} automations due at {tick:%H:%M}")

    started = time.perf_counter()
    rows, sent = await dispatch_all(database, dispatcher, settings, tick + timedelta(seconds=1))
    elapsed = time.perf_counter() - started
    queued = redis.llen(QUEUE)
    async with database.unit_of_work() as session:
        recorded = await session.scalar(select(func.count()).select_from(AutomationRun))
    messages = -(-automations // service.RUNS_PER_MESSAGE)
    assert rows == sent == recorded == automations, (rows, sent, recorded)
    assert queued == messages, (queued, messages)

    floor_seconds = await floor(database, dispatcher, automations)

    interval = settings.automation_dispatch_interval or 5.0
    passes = max(1, round(idle_seconds / interval))
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    for _ in range(passes):
        await dispatch_all(database, dispatcher, settings, tick + timedelta(seconds=2))
    idle_cpu = time.process_time() - cpu_before
    idle_wall = time.perf_counter() - wall_before

    print(f"{'run':<10}{'seconds':>9}{'runs/s':>10}{'ratio':>7}")
    print(f"{'floor':<10}{floor_seconds:>9.2f}{automations / floor_seconds:>10,.0f}{1:>7.2f}")
    print(f"{'dispatch':<10}{elapsed:>9.2f}{automations / elapsed:>10,.0f}"
          f"{elapsed / floor_seconds:>7.2f}")  # fmt: skip
    per_minute = idle_cpu * 60 / (passes * interval)
    print(f"idle: {passes} passes (one every {interval:g}s): {idle_cpu * 1000 / passes:.1f} ms CPU "
          f"and {idle_wall * 1000 / passes:.1f} ms wall each; {per_minute * 1000:.0f} ms CPU "
          f"per idle minute ({per_minute / 60:.3%} of a core)")  # fmt: skip
    redis.delete(QUEUE)
    await dispatcher.aclose()
    await database.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--organizations", type=int, default=100)
    parser.add_argument("--automations", type=int, default=10_000)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    args = parser.parse_args()
    asyncio.run(main(args.organizations, args.automations, args.idle_seconds))
