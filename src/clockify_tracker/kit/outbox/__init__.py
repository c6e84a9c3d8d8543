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
    add_job,
    take_pending,
)
from clockify_tracker.kit.outbox.repository import JobRef
from clockify_tracker.kit.outbox.runner import JobOutcome, run_job, sweep_lost_jobs

__all__ = [
    "CeleryPublisher",
    "JobOutcome",
    "JobRef",
    "OutboxDispatcher",
    "Publisher",
    "add_job",
    "run_job",
    "sweep_lost_jobs",
    "take_pending",
]
