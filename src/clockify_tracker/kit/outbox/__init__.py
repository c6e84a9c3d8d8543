"""The transactional outbox: side effects as rows in the caller's transaction.

    job_id = await outbox.add_job(session, "email.send", {"email_id": 7})
    # ... the unit of work commits ...
    await dispatcher.dispatch(outbox.take_pending(session))

A Celery task built with `kit.jobs.job_task` runs the row; the sweeper re-sends rows whose
hand-over was lost. Handlers must be safe to run twice.
"""

from clockify_tracker.kit.outbox.dispatcher import (
    CeleryPublisher,
    OutboxDispatcher,
    Publisher,
    TaskSignal,
    add_job,
    signal_after_commit,
    take_pending,
    take_signals,
)
from clockify_tracker.kit.outbox.repository import JobRef
from clockify_tracker.kit.outbox.runner import JobOutcome, run_job, sweep_lost_jobs

__all__ = [
    "CeleryPublisher",
    "JobOutcome",
    "JobRef",
    "OutboxDispatcher",
    "Publisher",
    "TaskSignal",
    "add_job",
    "run_job",
    "signal_after_commit",
    "sweep_lost_jobs",
    "take_pending",
    "take_signals",
]
