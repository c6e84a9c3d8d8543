"""Running one outbox job inside its transaction, and re-sending jobs whose hand-over was lost."""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.exceptions import PermanentJobError, RetryLaterError
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.logging import redact
from clockify_tracker.kit.outbox import repository
from clockify_tracker.kit.outbox.dispatcher import OutboxDispatcher
from clockify_tracker.kit.outbox.repository import JobRef
from clockify_tracker.kit.time import utcnow

log = logging.getLogger(__name__)

JobHandler = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]


class JobOutcome(enum.StrEnum):
    DONE = "done"
    SKIPPED = "skipped"  # finished already, held by another worker, or not yet due
    RETRY = "retry"
    FAILED = "failed"


def _is_lock_timeout(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    for candidate in (exc.orig, getattr(exc.orig, "__cause__", None)):
        if getattr(candidate, "sqlstate", None) == "55P03":  # lock_not_available
            return True
    return False


def _describe(exc: BaseException) -> str:
    return redact(f"{type(exc).__name__}: {exc}")[:1000]


async def run_job(
    database: Database,
    dispatcher: OutboxDispatcher,
    job_id: int,
    handler: JobHandler,
    *,
    task_name: str,
    retry_delay_seconds: float,
) -> JobOutcome:
    """Run the handler and mark the job done in one transaction.

    The row lock makes a second delivery of the same job wait, then find it done; a crash rolls
    everything back and leaves the job pending for the sweeper."""
    try:
        async with database.unit_of_work() as session:
            locked = await repository.lock_pending_job(session, job_id)
            if locked is None:
                return JobOutcome.SKIPPED
            job, now = locked
            if job.available_at > now:
                # Delivered before its retry time (timers fire early): come back when due.
                wait = (job.available_at - now).total_seconds() + 0.05
                early = JobRef(id=job_id, task=task_name, countdown=wait)
            else:
                early = None
                await handler(session, job.payload)
                await repository.mark_done(session, job_id)
        if early is not None:
            await dispatcher.dispatch([early])
            return JobOutcome.SKIPPED
        await dispatcher.hand_over(session)
        return JobOutcome.DONE
    except Exception as exc:
        if _is_lock_timeout(exc):
            # Still held after the wait: most likely another delivery running it. Look again
            # later rather than drop this delivery; a finished job makes the next look a no-op.
            await dispatcher.dispatch([JobRef(id=job_id, task=task_name, countdown=1.0)])
            return JobOutcome.SKIPPED
        return await _record_failure(database, dispatcher, job_id, exc, retry_delay_seconds)


async def _record_failure(
    database: Database,
    dispatcher: OutboxDispatcher,
    job_id: int,
    exc: Exception,
    retry_delay_seconds: float,
) -> JobOutcome:
    error = _describe(exc)
    async with database.unit_of_work() as session:
        job = await repository.lock_job(session, job_id)
        if job is None:
            return JobOutcome.SKIPPED
        attempts_after = job.attempts + 1
        if isinstance(exc, PermanentJobError) or attempts_after >= job.max_attempts:
            await repository.mark_failed(session, job, error=error)
            outcome, retry = JobOutcome.FAILED, None
        else:
            base = (
                exc.delay_seconds
                if isinstance(exc, RetryLaterError) and exc.delay_seconds is not None
                else retry_delay_seconds
            )
            delay = base * 2 ** (attempts_after - 1)
            await repository.schedule_retry(
                session, job, available_at=utcnow() + timedelta(seconds=delay), error=error
            )
            outcome, retry = JobOutcome.RETRY, JobRef(id=job.id, task=job.task, countdown=delay)
    log.warning(
        "outbox job %s: %s", outcome.value, error, extra={"outbox_id": job_id}, exc_info=exc
    )
    if retry is not None:
        await dispatcher.dispatch([retry])
    return outcome


async def sweep_lost_jobs(
    database: Database,
    dispatcher: OutboxDispatcher,
    *,
    grace_seconds: float,
    redispatch_seconds: float,
    limit: int = 500,
) -> list[int]:
    """Re-send jobs whose hand-over to Celery was lost. Returns the ids re-sent."""
    async with database.unit_of_work() as session:
        jobs = await repository.claim_lost_jobs(
            session,
            grace_seconds=grace_seconds,
            redispatch_seconds=redispatch_seconds,
            limit=limit,
        )
        # Published while the rows are locked, so a second sweeper skips them; the hand-over
        # is recorded in the same transaction.
        sent = await dispatcher.publish(jobs)
        if sent:
            await repository.mark_dispatched(session, sent)
    if sent:
        log.info("outbox sweeper re-sent %d job(s)", len(sent), extra={"outbox_ids": sent})
    return sent
