"""Every SQL statement on outbox_message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.models import OutboxMessage, OutboxStatus


@dataclass(frozen=True, slots=True)
class JobRef:
    """What a publisher needs to hand a job to Celery."""

    id: int
    task: str
    countdown: float | None = None


async def insert_job(
    session: AsyncSession, task: str, payload: dict[str, Any], max_attempts: int
) -> int:
    job_id: int | None = await session.scalar(
        insert(OutboxMessage)
        .values(task=task, payload=payload, max_attempts=max_attempts)
        .returning(OutboxMessage.id)
    )
    assert job_id is not None
    return job_id


async def mark_dispatched(session: AsyncSession, job_ids: list[int]) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(job_ids))
        .values(dispatched_at=func.now(), dispatch_count=OutboxMessage.dispatch_count + 1)
    )


LOCK_WAIT_SECONDS = 5


async def lock_pending_job(
    session: AsyncSession, job_id: int
) -> tuple[OutboxMessage, datetime] | None:
    """The pending job locked for this transaction, with the database's clock; None once it is
    finished. Waits (at most LOCK_WAIT_SECONDS, then LockNotAvailable) for a holder of the row:
    the dispatcher recording a hand-over, a sweeper, or another delivery of the same job, after
    which PostgreSQL re-reads the row, so a job finished meanwhile is not run twice."""
    await session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_SECONDS}s'"))
    row = (
        await session.execute(
            select(OutboxMessage, func.now())
            .where(OutboxMessage.id == job_id, OutboxMessage.status == OutboxStatus.PENDING)
            .with_for_update(of=OutboxMessage)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def mark_done(session: AsyncSession, job_id: int) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == job_id)
        .values(
            status=OutboxStatus.DONE,
            completed_at=func.now(),
            attempts=OutboxMessage.attempts + 1,
            last_error=None,
        )
    )


async def lock_job(session: AsyncSession, job_id: int) -> OutboxMessage | None:
    return await session.scalar(
        select(OutboxMessage).where(OutboxMessage.id == job_id).with_for_update()
    )


async def schedule_retry(
    session: AsyncSession, job: OutboxMessage, *, available_at: datetime, error: str
) -> None:
    job.attempts += 1
    job.available_at = available_at
    job.dispatched_at = None
    job.last_error = error


async def mark_failed(session: AsyncSession, job: OutboxMessage, *, error: str) -> None:
    job.attempts += 1
    job.status = OutboxStatus.FAILED
    job.completed_at = func.now()
    job.last_error = error


async def claim_lost_jobs(
    session: AsyncSession, *, grace_seconds: float, redispatch_seconds: float, limit: int
) -> list[JobRef]:
    """Pending jobs whose hand-over to Celery was lost, locked so two sweepers never pick the
    same row: never handed over `grace_seconds` after becoming due, or handed over more than
    `redispatch_seconds` ago and still not finished (worker killed, broker flushed)."""
    now = func.now()
    grace = func.make_interval(0, 0, 0, 0, 0, 0, grace_seconds)
    redispatch = func.make_interval(0, 0, 0, 0, 0, 0, redispatch_seconds)
    rows = await session.execute(
        select(OutboxMessage.id, OutboxMessage.task)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.available_at <= now - grace,
            or_(
                OutboxMessage.dispatched_at.is_(None),
                func.greatest(OutboxMessage.dispatched_at, OutboxMessage.available_at)
                < now - redispatch,
            ),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [JobRef(id=row.id, task=row.task) for row in rows]
