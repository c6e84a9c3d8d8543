"""Celery shells for reports: build these; re-signal lost or retried ones; create due periods."""

from __future__ import annotations

from datetime import UTC, datetime

from clockify_tracker.kit.celery_app import celery_app
from clockify_tracker.kit.outbox import TaskSignal
from clockify_tracker.kit.worker_runtime import WorkerRuntime, get_runtime
from clockify_tracker.report import service

SWEEP_TASK = "report.sweep"
SCHEDULE_TASK = "report.schedule"


async def _build(runtime: WorkerRuntime, job_ids: list[int]) -> list[str]:
    now = datetime.now(UTC)
    return [
        await service.build(runtime.database, runtime.settings, job_id, now) for job_id in job_ids
    ]


@celery_app.task(name=service.BUILD_TASK, ignore_result=True)
def build_reports(job_ids: list[int]) -> list[str]:
    """Build and send these reports (each claimed first, so a repeat is harmless)."""
    runtime = get_runtime()
    return runtime.run(_build(runtime, job_ids))


async def _sweep(runtime: WorkerRuntime) -> int:
    ids = await service.due(runtime.database)
    return await runtime.dispatcher.signal([TaskSignal(service.BUILD_TASK, i) for i in ids])


@celery_app.task(name=SWEEP_TASK, ignore_result=True)
def sweep_reports() -> int:
    """Signal reports that are due and not being built (lost signal, retry, dead worker)."""
    runtime = get_runtime()
    return runtime.run(_sweep(runtime))


async def _schedule(runtime: WorkerRuntime) -> int:
    async with runtime.database.unit_of_work() as session:
        created = await service.schedule_due(session, runtime.settings, datetime.now(UTC))
    await runtime.dispatcher.hand_over(session)
    return len(created)


@celery_app.task(name=SCHEDULE_TASK, ignore_result=True)
def schedule_reports() -> int:
    """Create the jobs of the weekly and monthly periods that are due (once per period)."""
    runtime = get_runtime()
    return runtime.run(_schedule(runtime))
