"""Every SQL statement of reports: report jobs (claimed by status, like emails) and the
streamed reads a workbook is built from."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Result, Row, func, or_, select, text, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from clockify_tracker.models import ClockifySession, ClockifyUser, Organization, ReportJob

STREAM_BATCH = 2000


def _seconds(value: float) -> ColumnElement[Any]:
    return func.make_interval(0, 0, 0, 0, 0, 0, value)


def _claimable() -> ColumnElement[bool]:
    return or_(
        (ReportJob.status == "pending") & (ReportJob.next_attempt_at <= func.now()),
        (ReportJob.status == "running") & (ReportJob.lease_until < func.now()),
    )


def add(session: AsyncSession, job: ReportJob) -> None:
    session.add(job)


async def insert_scheduled(
    session: AsyncSession, organization_id: int, kind: str, start: date, end: date
) -> int | None:
    """The period's job, once per organization whoever asks: None when it already exists."""
    job_id: int | None = await session.scalar(
        insert(ReportJob)
        .values(
            organization_id=organization_id,
            kind=kind,
            trigger="schedule",
            period_start=start,
            period_end=end,
            requested_by="scheduler@system",
        )
        .on_conflict_do_nothing(
            index_elements=["organization_id", "kind", "period_start"],
            # A literal, like the index's own predicate: a bound parameter here cannot be matched
            # to the partial index once PostgreSQL plans the prepared statement generically.
            index_where=text("trigger = 'schedule'"),
        )
        .returning(ReportJob.id)
    )
    return job_id


async def organization_ids(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(Organization.id).order_by(Organization.id)))


async def get(
    session: AsyncSession, organization_ids: frozenset[int] | None, job_id: int
) -> ReportJob | None:
    visible = (
        true() if organization_ids is None else ReportJob.organization_id.in_(organization_ids)
    )
    return await session.scalar(select(ReportJob).where(ReportJob.id == job_id, visible))


async def claim(session: AsyncSession, job_id: int, lease: timedelta) -> ReportJob | None:
    return await session.scalar(
        update(ReportJob)
        .where(ReportJob.id == job_id, _claimable())
        .values(
            status="running",
            attempts=ReportJob.attempts + 1,
            lease_until=func.now() + _seconds(lease.total_seconds()),
        )
        .returning(ReportJob)
    )


async def lock_running(session: AsyncSession, job_id: int, attempt: int) -> ReportJob | None:
    """The job as this attempt left it, locked: None if its lease passed to another attempt."""
    return await session.scalar(
        select(ReportJob)
        .where(ReportJob.id == job_id, ReportJob.status == "running", ReportJob.attempts == attempt)
        .with_for_update()
    )


async def schedule_retry(session: AsyncSession, job_id: int, delay: float, error: str) -> None:
    await session.execute(
        update(ReportJob)
        .where(ReportJob.id == job_id, ReportJob.status == "running")
        .values(
            status="pending",
            next_attempt_at=func.now() + _seconds(delay),
            lease_until=None,
            last_error=error,
        )
    )


async def mark_failed(session: AsyncSession, job_id: int, error: str) -> None:
    await session.execute(
        update(ReportJob)
        .where(ReportJob.id == job_id, ReportJob.status == "running")
        .values(status="failed", lease_until=None, last_error=error, finished_at=func.now())
    )


async def due_ids(session: AsyncSession, limit: int = 100) -> list[int]:
    rows = await session.scalars(
        select(ReportJob.id).where(_claimable()).order_by(ReportJob.id).limit(limit)
    )
    return list(rows)


# --- what a report reads (sync: run inside AsyncSession.run_sync, rows streamed) -------------


def report_users(
    session: Session, organization_id: int, start: date, end: date, user_id: int | None
) -> list[ClockifyUser]:
    """The enabled users, and disabled ones who worked in the period, by name."""
    worked = (
        select(ClockifySession.id)
        .where(
            ClockifySession.clockify_user_id == ClockifyUser.id,
            ClockifySession.enabled.is_(True),
            ClockifySession.local_date.between(start, end),
        )
        .exists()
    )
    query = select(ClockifyUser).where(ClockifyUser.organization_id == organization_id)
    if user_id is not None:
        query = query.where(ClockifyUser.id == user_id)
    else:
        query = query.where(ClockifyUser.enabled.is_(True) | worked)
    return list(session.scalars(query.order_by(func.lower(ClockifyUser.name), ClockifyUser.id)))


SESSION_COLUMNS = (
    ClockifySession.clockify_user_id,
    ClockifySession.start_at,
    ClockifySession.end_at,
    ClockifySession.time_zone,
    ClockifySession.project_name,
    ClockifySession.task_name,
    ClockifySession.description,
    ClockifySession.duration_seconds,
    ClockifySession.valid_duration_seconds,
    ClockifySession.overtime,
    ClockifySession.status,
    ClockifySession.updating_quantity,
    ClockifySession.currently_running,
)


def stream_sessions(
    session: Session, organization_id: int, start: date, end: date, user_id: int | None
) -> Iterator[Row[Any]]:
    """The period's enabled sessions (by local start day), in the users' order then by start,
    fetched from a server-side cursor in batches."""
    query = (
        select(*SESSION_COLUMNS)
        .join(ClockifyUser, ClockifyUser.id == ClockifySession.clockify_user_id)
        .where(
            ClockifySession.organization_id == organization_id,
            ClockifySession.enabled.is_(True),
            ClockifySession.local_date.between(start, end),
        )
        .order_by(func.lower(ClockifyUser.name), ClockifyUser.id, ClockifySession.start_at)
        .execution_options(yield_per=STREAM_BATCH)
    )
    if user_id is not None:
        query = query.where(ClockifySession.clockify_user_id == user_id)
    result: Result[Any] = session.execute(query)
    yield from result
