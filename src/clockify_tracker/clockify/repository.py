"""Every SQL statement of webhook ingestion: users, sessions, deliveries, binnacle, notices."""

from __future__ import annotations

from typing import Any

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


async def insert_delivery(
    session: AsyncSession,
    *,
    organization_id: int,
    entry_id: str,
    event: str,
    rank: int,
    body_hash: str,
    body: dict[str, Any],
) -> bool:
    """False when this exact delivery was received before."""
    inserted = await session.scalar(
        insert(ClockifyEvent)
        .values(
            organization_id=organization_id,
            entry_id=entry_id,
            event=event,
            rank=rank,
            body_hash=body_hash,
            body=body,
        )
        .on_conflict_do_nothing(index_elements=["entry_id", "event", "body_hash"])
        .returning(ClockifyEvent.id)
    )
    return inserted is not None


async def deliveries_for_entry(session: AsyncSession, entry_id: str) -> list[ClockifyEvent]:
    rows = await session.scalars(
        select(ClockifyEvent)
        .where(ClockifyEvent.entry_id == entry_id)
        .order_by(ClockifyEvent.rank, ClockifyEvent.id)
    )
    return list(rows)


async def upsert_user(
    session: AsyncSession, *, organization_id: int, external_id: str, name: str, status: str | None
) -> ClockifyUser:
    """Name and status follow Clockify; the email and preferences a coordinator set stay."""
    enabled = (status or "ACTIVE").upper() == "ACTIVE"
    statement = insert(ClockifyUser).values(
        organization_id=organization_id,
        external_id=external_id,
        name=name or external_id,
        clockify_status=status,
        enabled=enabled,
        disabled_at=None if enabled else func.now(),
    )
    user_id = await session.scalar(
        statement.on_conflict_do_update(
            index_elements=[ClockifyUser.external_id],
            set_={
                "name": statement.excluded.name,
                "clockify_status": statement.excluded.clockify_status,
                "enabled": statement.excluded.enabled,
                # Keep the first time a user was seen disabled, not the latest webhook's.
                "disabled_at": func.coalesce(
                    ClockifyUser.disabled_at, statement.excluded.disabled_at
                )
                if not enabled
                else None,
                "updated_at": func.now(),
            },
        ).returning(ClockifyUser.id)
    )
    user = await session.get(ClockifyUser, user_id, populate_existing=True)
    assert user is not None
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
