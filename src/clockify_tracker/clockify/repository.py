"""Every SQL statement of webhook ingestion: users, sessions, deliveries, binnacle, notices."""

from __future__ import annotations

import asyncpg
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.models import (
    BinnacleEntry,
    ClockifyEvent,
    ClockifySession,
    ClockifyUser,
    Notification,
)


async def lock_entry(session: AsyncSession, entry_id: str) -> None:
    """Serialise all deliveries of one time entry for the rest of the transaction."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:entry, 7))"), {"entry": entry_id}
    )


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


async def entries_with_stale_deliveries(
    session: AsyncSession, *, older_than_seconds: float, limit: int
) -> list[str]:
    """Entries with deliveries still unapplied this long after arriving (their signal was lost)."""
    cutoff = func.now() - func.make_interval(0, 0, 0, 0, 0, 0, older_than_seconds)
    rows = await session.scalars(
        select(ClockifyEvent.entry_id)
        .where(ClockifyEvent.processed_at.is_(None), ClockifyEvent.received_at < cutoff)
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
