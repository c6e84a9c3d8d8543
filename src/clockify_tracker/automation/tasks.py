"""Celery shells for automations: run a script; dispatch due ticks; re-send lost runs and close
runs whose worker died."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from clockify_tracker.automation import repository, service
from clockify_tracker.kit.celery_app import celery_app
from clockify_tracker.kit.worker_runtime import WorkerRuntime, get_runtime

SWEEP_TASK = "automation.sweep"


async def _run(runtime: WorkerRuntime, run_ids: list[int]) -> str:
    first, *others = run_ids
    # A script holds its worker slot until it ends: runs signalled together are split so each
    # gets a slot of its own.
    await runtime.dispatcher.signal_each(service.RUN_TASK, others)
    return await service.execute(runtime.database, runtime.settings, runtime.redis, first)


@celery_app.task(name=service.RUN_TASK, ignore_result=True)
def run_automation(run_ids: list[int]) -> str:
    """Run a queued execution (claimed first, so a repeat is harmless)."""
    runtime = get_runtime()
    return runtime.run(_run(runtime, run_ids))


async def _dispatch(runtime: WorkerRuntime) -> int:
    sent = 0
    while True:
        async with runtime.database.unit_of_work() as session:
            run_ids = await service.dispatch(session, runtime.settings, datetime.now(UTC))
            await repository.record_tick(session)
        sent += await runtime.dispatcher.signal_each(
            service.RUN_TASK, run_ids, per_message=service.RUNS_PER_MESSAGE
        )
        if len(run_ids) < service.DISPATCH_BATCH:
            return sent


@celery_app.task(name=service.DISPATCH_TASK, ignore_result=True)
def dispatch_automations(_reason: list[Any] | None = None) -> int:
    """Record and send every due tick (beat calls it every AUTOMATION_DISPATCH_INTERVAL)."""
    runtime = get_runtime()
    return runtime.run(_dispatch(runtime))


async def _sweep(runtime: WorkerRuntime) -> int:
    async with runtime.database.unit_of_work() as session:
        await service.close_abandoned(session, runtime.settings)
        lost = await service.lost_runs(session, runtime.settings)
    await runtime.dispatcher.hand_over(session)
    return await runtime.dispatcher.signal_each(service.RUN_TASK, lost)


@celery_app.task(name=SWEEP_TASK, ignore_result=True)
def sweep_automations() -> int:
    """Re-send queued runs whose signal was lost; close runs abandoned by a dead worker."""
    runtime = get_runtime()
    return runtime.run(_sweep(runtime))
