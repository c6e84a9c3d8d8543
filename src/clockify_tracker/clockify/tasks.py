"""Celery shells for webhook processing: apply an entry's deliveries; re-signal lost ones."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from clockify_tracker.clockify import ingest, monitor
from clockify_tracker.kit.celery_app import celery_app
from clockify_tracker.kit.logging import redact
from clockify_tracker.kit.outbox import TaskSignal
from clockify_tracker.kit.worker_runtime import WorkerRuntime, get_runtime

log = logging.getLogger(__name__)

SWEEP_TASK = "clockify.sweep_unprocessed"


async def _process(runtime: WorkerRuntime, entry_ids: list[str]) -> int:
    applied = 0
    for entry_id in entry_ids:
        # One transaction per entry: one entry's failure does not hold back the others.
        try:
            async with runtime.database.unit_of_work() as session:
                applied += len(await ingest.process_entry(session, runtime.settings, entry_id))
        except Exception as exc:
            log.exception("could not apply the deliveries of entry %s", entry_id)
            async with runtime.database.unit_of_work() as failed:
                await ingest.record_failed_apply(
                    failed, entry_id, redact(f"{type(exc).__name__}: {exc}")
                )
            continue
        await runtime.dispatcher.hand_over(session)
    return applied


@celery_app.task(name=ingest.PROCESS_TASK, ignore_result=True)
def process_entries(entry_ids: list[str]) -> int:
    """Apply the pending webhook deliveries of these time entries."""
    runtime = get_runtime()
    return runtime.run(_process(runtime, entry_ids))


async def _sweep(runtime: WorkerRuntime) -> int:
    async with runtime.database.unit_of_work() as session:
        entries = await ingest.stale_entries(session, runtime.settings)
    return await runtime.dispatcher.signal(
        [TaskSignal(ingest.PROCESS_TASK, entry) for entry in entries]
    )


@celery_app.task(name=SWEEP_TASK, ignore_result=True)
def sweep_unprocessed() -> int:
    """Re-signal entries whose deliveries were stored but never applied (signal lost)."""
    runtime = get_runtime()
    return runtime.run(_sweep(runtime))


async def _monitor(runtime: WorkerRuntime) -> int:
    async with runtime.database.unit_of_work() as session:
        flagged = await monitor.flag_running_overtime(session, runtime.settings, datetime.now(UTC))
    await runtime.dispatcher.hand_over(session)
    return flagged


@celery_app.task(name=monitor.MONITOR_TASK, ignore_result=True)
def monitor_open_sessions() -> int:
    """Flag running sessions that passed OVERTIME_HOURS (once each) and notify."""
    runtime = get_runtime()
    return runtime.run(_monitor(runtime))
