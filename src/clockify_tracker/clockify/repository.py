"""Every SQL statement of the Clockify part: deliveries, users, sessions, binnacle, notices."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

import asyncpg
from sqlalchemy import and_, func, select, text, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.models import (
    BinnacleEntry,
    ClockifyEvent,
    ClockifySession,
    ClockifyUser,
    ClockifyWorkspace,
    ErrorLog,
    Notification,
    Organization,
)


async def lock_entry(session: AsyncSession, entry_id: str) -> None:
    """Serialise all deliveries of one time entry for the rest of the transaction."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:entry, 7))"), {"entry": entry_id}
    )


async def try_lock_entry(session: AsyncSession, entry_id: str) -> bool:
    """The same lock, without waiting: False while the entry is being applied."""
    locked: bool = await session.scalar(
        text("SELECT pg_try_advisory_xact_lock(hashtextextended(:entry, 7))"), {"entry": entry_id}
    )
    return locked


async def running_since_before(
    session: AsyncSession, started_before: datetime, limit: int
) -> list[ClockifySession]:
    """Running sessions not yet flagged overtime that started before this, locked; rows
    another transaction holds are skipped (the next pass takes them)."""
    rows = await session.scalars(
        select(ClockifySession)
        .where(
            ClockifySession.currently_running.is_(True),
            ClockifySession.enabled.is_(True),
            ClockifySession.overtime.is_(False),
            ClockifySession.start_at < started_before,
        )
        .order_by(ClockifySession.start_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


# The body is stored as JSONB, whose text form is canonical (keys ordered, spacing normalised),
# so its hash identifies the same delivery however the JSON was spelled.
_INSERT_DELIVERY = """
    WITH delivery AS (SELECT $5::jsonb AS body)
    INSERT INTO clockify_event (entry_id, workspace_id, event, rank, body_hash, body)
    SELECT $1, $2, $3, $4, encode(sha256(convert_to(body::text, 'UTF8')), 'hex'), body
    FROM delivery
    ON CONFLICT (entry_id, event, body_hash) DO NOTHING
    RETURNING id
"""


async def insert_delivery(
    pool: asyncpg.Pool,
    *,
    entry_id: str,
    workspace_id: str,
    event: str,
    rank: int,
    raw_body: str,
) -> int | None:
    """The new delivery's id; None when this exact delivery was received before. One
    statement, committed on its own: this is the whole database work of a webhook request."""
    delivery_id: int | None = await pool.fetchval(
        _INSERT_DELIVERY, entry_id, workspace_id, event, rank, raw_body
    )
    return delivery_id


async def deliveries_for_entry(session: AsyncSession, entry_id: str) -> list[ClockifyEvent]:
    rows = await session.scalars(
        select(ClockifyEvent)
        .where(ClockifyEvent.entry_id == entry_id)
        .order_by(ClockifyEvent.rank, ClockifyEvent.id)
    )
    return list(rows)


MAX_APPLY_ATTEMPTS = 5


async def entries_with_stale_deliveries(
    session: AsyncSession, *, older_than_seconds: float, limit: int
) -> list[str]:
    """Entries with deliveries still unapplied this long after arriving (their signal was lost,
    or applying failed fewer than MAX_APPLY_ATTEMPTS times)."""
    cutoff = func.now() - func.make_interval(0, 0, 0, 0, 0, 0, older_than_seconds)
    rows = await session.scalars(
        select(ClockifyEvent.entry_id)
        .where(
            ClockifyEvent.processed_at.is_(None),
            ClockifyEvent.received_at < cutoff,
            ClockifyEvent.attempts < MAX_APPLY_ATTEMPTS,
        )
        .group_by(ClockifyEvent.entry_id)
        .order_by(func.min(ClockifyEvent.id))
        .limit(limit)
    )
    return list(rows)


async def upsert_user(
    session: AsyncSession, *, organization_id: int, external_id: str, name: str, status: str | None
) -> ClockifyUser:
    """Name and status follow Clockify; the email and preferences a coordinator set stay.

    Read first and write only on change: an ON CONFLICT DO UPDATE locks the user's row until
    commit even when nothing changes, which serialised every webhook of one person."""
    enabled = (status or "ACTIVE").upper() == "ACTIVE"
    name = name or external_id
    user = await session.scalar(select(ClockifyUser).where(ClockifyUser.external_id == external_id))
    if user is None:
        await session.execute(
            insert(ClockifyUser)
            .values(
                organization_id=organization_id,
                external_id=external_id,
                name=name,
                clockify_status=status,
                enabled=enabled,
                disabled_at=None if enabled else func.now(),
            )
            .on_conflict_do_nothing(index_elements=[ClockifyUser.external_id])
        )
        user = await session.scalar(
            select(ClockifyUser).where(ClockifyUser.external_id == external_id)
        )
        assert user is not None
        return user
    if (user.name, user.clockify_status, user.enabled) != (name, status, enabled):
        user.name, user.clockify_status, user.enabled = name, status, enabled
        # Keep the first time a user was seen disabled, not the latest webhook's.
        user.disabled_at = None if enabled else (user.disabled_at or func.now())
    return user


async def session_by_external_id(session: AsyncSession, external_id: str) -> ClockifySession | None:
    return await session.scalar(
        select(ClockifySession).where(ClockifySession.external_id == external_id)
    )


def add_session(session: AsyncSession, row: ClockifySession) -> None:
    session.add(row)


def add_binnacle_entry(session: AsyncSession, entry: BinnacleEntry) -> None:
    session.add(entry)


def add_notification(session: AsyncSession, notification: Notification) -> None:
    session.add(notification)


# --- reads for the coordinators' API ------------------------------------------------------------


@dataclass(frozen=True)
class SessionFilters:
    email: str | None = None
    user_id: int | None = None
    external_id: str | None = None
    project_name: str | None = None
    task_name: str | None = None
    description: str | None = None
    status: str | None = None
    on_date: date | None = None
    from_date: date | None = None
    to_date: date | None = None


def _visible(column: Any, organization_ids: frozenset[int] | None) -> Any:
    return true() if organization_ids is None else column.in_(organization_ids)


def _session_conditions(filters: SessionFilters) -> list[Any]:
    conditions: list[Any] = []
    if filters.email is not None:
        conditions.append(func.lower(ClockifyUser.email) == filters.email.lower())
    if filters.user_id is not None:
        conditions.append(ClockifySession.clockify_user_id == filters.user_id)
    if filters.external_id is not None:
        conditions.append(ClockifySession.external_id == filters.external_id)
    for column, value in (
        (ClockifySession.project_name, filters.project_name),
        (ClockifySession.task_name, filters.task_name),
        (ClockifySession.description, filters.description),
    ):
        if value is not None:
            conditions.append(column.ilike(f"%{_escape_like(value)}%", escape="\\"))
    if filters.status is not None:
        conditions.append(func.upper(ClockifySession.status) == filters.status.upper())
    if filters.on_date is not None:
        conditions.append(ClockifySession.local_date == filters.on_date)
    if filters.from_date is not None:
        conditions.append(ClockifySession.local_date >= filters.from_date)
    if filters.to_date is not None:
        conditions.append(ClockifySession.local_date <= filters.to_date)
    return conditions


def _escape_like(text_value: str) -> str:
    """The user's text matched literally inside LIKE: its %, _ and \\ mean themselves."""
    return text_value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SessionRow(NamedTuple):
    """A session with its user and the name of its workspace."""

    session: ClockifySession
    user: ClockifyUser
    workspace_name: str


# The name sent with a session made by hand, else the workspace's name as its owner knows it
# (another organization's name for the same id is not this session's to show), else the name
# of the session's organization.
_REGISTERED_NAME = func.coalesce(func.nullif(ClockifyWorkspace.name, ""), Organization.name)
_WORKSPACE_NAME = func.coalesce(func.nullif(ClockifySession.workspace_name, ""), _REGISTERED_NAME)


def _sessions_with_users() -> Any:
    return (
        select(ClockifySession, ClockifyUser, _WORKSPACE_NAME)
        .join(ClockifyUser, ClockifyUser.id == ClockifySession.clockify_user_id)
        .join(Organization, Organization.id == ClockifySession.organization_id)
        .outerjoin(
            ClockifyWorkspace,
            and_(
                ClockifyWorkspace.id == ClockifySession.workspace_id,
                ClockifyWorkspace.organization_id == ClockifySession.organization_id,
            ),
        )
    )


async def workspace_name(session: AsyncSession, organization_id: int, workspace_id: str) -> str:
    """What `_WORKSPACE_NAME` says for a session of this organization and workspace that was
    sent no name of its own."""
    name: str | None = await session.scalar(
        select(_REGISTERED_NAME)
        .select_from(Organization)
        .outerjoin(
            ClockifyWorkspace,
            and_(
                ClockifyWorkspace.id == workspace_id,
                ClockifyWorkspace.organization_id == Organization.id,
            ),
        )
        .where(Organization.id == organization_id)
    )
    return name or ""


async def list_sessions(
    session: AsyncSession,
    organization_ids: frozenset[int] | None,
    filters: SessionFilters,
    *,
    limit: int,
    offset: int,
) -> tuple[list[SessionRow], int]:
    """Newest first, and the total matching."""
    where = [
        _visible(ClockifySession.organization_id, organization_ids),
        *_session_conditions(filters),
    ]
    counted = (
        select(ClockifySession.id)
        .join(ClockifyUser, ClockifyUser.id == ClockifySession.clockify_user_id)
        .where(*where)
    )
    total = await session.scalar(select(func.count()).select_from(counted.subquery()))
    rows = await session.execute(
        _sessions_with_users()
        .where(*where)
        .order_by(ClockifySession.start_at.desc(), ClockifySession.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [SessionRow(s, u, w or "") for s, u, w in rows.all()], int(total or 0)


async def session_with_user(
    session: AsyncSession, *, session_id: int | None = None, external_id: str | None = None
) -> SessionRow | None:
    condition = (
        ClockifySession.id == session_id
        if session_id is not None
        else ClockifySession.external_id == external_id
    )
    row = (await session.execute(_sessions_with_users().where(condition))).first()
    return None if row is None else SessionRow(row[0], row[1], row[2] or "")


class BinnacleRow(NamedTuple):
    """A binnacle entry with the id of its session's user."""

    entry: BinnacleEntry
    user_id: int


async def list_binnacle(
    session: AsyncSession,
    organization_ids: frozenset[int] | None,
    *,
    session_id: int | None = None,
    filters: SessionFilters | None = None,
    limit: int,
    offset: int,
) -> tuple[list[BinnacleRow], int]:
    base = (
        select(BinnacleEntry, ClockifySession.clockify_user_id)
        .join(ClockifySession, ClockifySession.id == BinnacleEntry.session_id)
        .join(ClockifyUser, ClockifyUser.id == ClockifySession.clockify_user_id)
        .where(_visible(BinnacleEntry.organization_id, organization_ids))
    )
    if session_id is not None:
        base = base.where(BinnacleEntry.session_id == session_id)
    if filters is not None:
        conditions = _session_conditions(filters)
        base = base.where(*conditions)
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    rows = await session.execute(base.order_by(BinnacleEntry.id.desc()).limit(limit).offset(offset))
    return [BinnacleRow(entry, user_id) for entry, user_id in rows.all()], int(total or 0)


async def get_binnacle_entry(session: AsyncSession, entry_id: int) -> BinnacleRow | None:
    row = (
        await session.execute(
            select(BinnacleEntry, ClockifySession.clockify_user_id)
            .join(ClockifySession, ClockifySession.id == BinnacleEntry.session_id)
            .where(BinnacleEntry.id == entry_id)
        )
    ).first()
    return None if row is None else BinnacleRow(row[0], row[1])


# --- users -----------------------------------------------------------------------------------


async def list_users(
    session: AsyncSession,
    organization_ids: frozenset[int] | None,
    *,
    from_date: date | None = None,
    to_date: date | None = None,
    limit: int,
    offset: int,
) -> tuple[list[ClockifyUser], int]:
    """Users, newest first; with dates, only those with a session on those local days."""
    query = select(ClockifyUser).where(_visible(ClockifyUser.organization_id, organization_ids))
    if from_date is not None or to_date is not None:
        days = select(ClockifySession.clockify_user_id).where(
            ClockifySession.enabled.is_(True),
            *([ClockifySession.local_date >= from_date] if from_date else []),
            *([ClockifySession.local_date <= to_date] if to_date else []),
        )
        query = query.where(ClockifyUser.id.in_(days))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(ClockifyUser.id.desc()).limit(limit).offset(offset))
    return list(rows), int(total or 0)


async def user_by_external_id(session: AsyncSession, external_id: str) -> ClockifyUser | None:
    return await session.scalar(select(ClockifyUser).where(ClockifyUser.external_id == external_id))


async def users_by_email(
    session: AsyncSession, organization_ids: frozenset[int] | None, email: str
) -> list[ClockifyUser]:
    rows = await session.scalars(
        select(ClockifyUser)
        .where(
            _visible(ClockifyUser.organization_id, organization_ids),
            func.lower(ClockifyUser.email) == email.strip().lower(),
        )
        .order_by(ClockifyUser.id)
    )
    return list(rows)


async def email_taken(
    session: AsyncSession, organization_id: int, email: str, except_user_id: int | None = None
) -> bool:
    query = select(ClockifyUser.id).where(
        ClockifyUser.organization_id == organization_id,
        func.lower(ClockifyUser.email) == email.strip().lower(),
    )
    if except_user_id is not None:
        query = query.where(ClockifyUser.id != except_user_id)
    return await session.scalar(query.limit(1)) is not None


def add_user(session: AsyncSession, user: ClockifyUser) -> None:
    session.add(user)


async def user_by_id(session: AsyncSession, user_id: int) -> ClockifyUser | None:
    return await session.get(ClockifyUser, user_id)


async def record_api_delete(session: AsyncSession, entry_id: str) -> None:
    """A delete made through the API, added to the entry's delivery history (already applied)
    so replaying its webhooks keeps it deleted. Nothing to add when no webhook came yet."""
    latest = await session.scalar(
        select(ClockifyEvent)
        .where(ClockifyEvent.entry_id == entry_id)
        .order_by(ClockifyEvent.id.desc())
        .limit(1)
    )
    if latest is None:
        return
    session.add(
        ClockifyEvent(
            organization_id=latest.organization_id,
            entry_id=entry_id,
            workspace_id=latest.workspace_id,
            event="delete",
            rank=4,
            body_hash=f"api-delete:{uuid.uuid4().hex}",
            body=latest.body,
            processed_at=func.now(),
            outcome="updated",
        )
    )


DECISION_EVENTS = ("approval", "rejection")


async def last_decision_snapshot(session: AsyncSession, session_id: int) -> dict[str, Any] | None:
    """The snapshot the session's latest approval or rejection recorded."""
    found: dict[str, Any] | None = await session.scalar(
        select(BinnacleEntry.snapshot)
        .where(BinnacleEntry.session_id == session_id, BinnacleEntry.event.in_(DECISION_EVENTS))
        .order_by(BinnacleEntry.id.desc())
        .limit(1)
    )
    return found


async def latest_binnacle_entry(session: AsyncSession, session_id: int) -> BinnacleEntry | None:
    return await session.scalar(
        select(BinnacleEntry)
        .where(BinnacleEntry.session_id == session_id)
        .order_by(BinnacleEntry.id.desc())
        .limit(1)
    )


# --- error log -------------------------------------------------------------------------------


def _errors_visible(organization_ids: frozenset[int] | None) -> Any:
    """Rows of no organization (a refused webhook) are for the service token and superadmins."""
    if organization_ids is None:
        return true()
    return ErrorLog.organization_id.in_(organization_ids)


async def list_errors(
    session: AsyncSession,
    organization_ids: frozenset[int] | None,
    *,
    since: datetime | None,
    until: datetime | None,
    endpoint: str | None,
    status_code: int | None,
    limit: int,
    offset: int,
) -> tuple[list[ErrorLog], int]:
    query = select(ErrorLog).where(_errors_visible(organization_ids))
    if since is not None:
        query = query.where(ErrorLog.created_at >= since)
    if until is not None:
        query = query.where(ErrorLog.created_at < until)
    if endpoint is not None:
        query = query.where(ErrorLog.endpoint.ilike(f"%{_escape_like(endpoint)}%", escape="\\"))
    if status_code is not None:
        query = query.where(ErrorLog.status_code == status_code)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(ErrorLog.id.desc()).limit(limit).offset(offset))
    return list(rows), int(total or 0)


async def get_error(
    session: AsyncSession, organization_ids: frozenset[int] | None, error_id: int
) -> ErrorLog | None:
    return await session.scalar(
        select(ErrorLog).where(ErrorLog.id == error_id, _errors_visible(organization_ids))
    )


async def record_failed_apply(session: AsyncSession, entry_id: str, error: str) -> None:
    await session.execute(
        update(ClockifyEvent)
        .where(ClockifyEvent.entry_id == entry_id, ClockifyEvent.processed_at.is_(None))
        .values(attempts=ClockifyEvent.attempts + 1, last_error=error)
    )
