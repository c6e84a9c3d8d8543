"""Celery shells for email delivery: send these emails; re-signal those whose signal was lost."""

from __future__ import annotations

from clockify_tracker.email import service
from clockify_tracker.kit.celery_app import celery_app
from clockify_tracker.kit.outbox import TaskSignal
from clockify_tracker.kit.worker_runtime import WorkerRuntime, get_runtime

SWEEP_TASK = "email.sweep"


async def _send(runtime: WorkerRuntime, email_ids: list[int]) -> list[str]:
    outcomes = []
    for email_id in email_ids:
        outcome = await service.deliver(runtime.database, runtime.settings, email_id)
        if outcome == "retry":
            # Come back when due; the sweeper would too, this is only quicker.
            runtime.dispatcher.signal_soon(TaskSignal(service.SEND_TASK, email_id))
        outcomes.append(outcome)
    return outcomes


@celery_app.task(name=service.SEND_TASK, ignore_result=True)
def send_emails(email_ids: list[int]) -> list[str]:
    """Send these emails (each claimed first, so a repeat is harmless)."""
    runtime = get_runtime()
    return runtime.run(_send(runtime, email_ids))


async def _sweep(runtime: WorkerRuntime) -> int:
    ids = await service.due(runtime.database)
    return await runtime.dispatcher.signal([TaskSignal(service.SEND_TASK, i) for i in ids])


@celery_app.task(name=SWEEP_TASK, ignore_result=True)
def sweep_emails() -> int:
    """Signal the emails that are due and not being sent (lost signal, retry time, dead lease)."""
    runtime = get_runtime()
    return runtime.run(_sweep(runtime))
