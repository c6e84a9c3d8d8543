"""The outbox sweeper, run by beat every EMAIL_PROCESS_INTERVAL seconds."""

from __future__ import annotations

from clockify_tracker.kit.celery_app import celery_app
from clockify_tracker.kit.outbox.runner import sweep_lost_jobs
from clockify_tracker.kit.worker_runtime import get_runtime

SWEEP_TASK = "kit.outbox.sweep"


@celery_app.task(name=SWEEP_TASK, ignore_result=True)
def sweep_outbox() -> int:
    """Re-send outbox jobs whose hand-over to Celery was lost."""
    runtime = get_runtime()
    sent = runtime.run(
        sweep_lost_jobs(
            runtime.database,
            runtime.dispatcher,
            grace_seconds=runtime.settings.outbox_grace_seconds,
            redispatch_seconds=runtime.settings.outbox_redispatch_seconds,
        )
    )
    return len(sent)
