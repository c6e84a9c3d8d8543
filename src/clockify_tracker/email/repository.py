"""Every SQL statement on email_message. Claims are status transitions, so two workers (or a
worker and the sweeper) never send the same row at once, and no lock is held while sending."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.models import EmailMessage


def _seconds(value: float) -> ColumnElement[Any]:
    return func.make_interval(0, 0, 0, 0, 0, 0, value)


def _claimable() -> ColumnElement[bool]:
    return or_(
        (EmailMessage.status == "pending") & (EmailMessage.next_attempt_at <= func.now()),
        (EmailMessage.status == "sending") & (EmailMessage.lease_until < func.now()),
    )


async def claim(session: AsyncSession, email_id: int, lease: timedelta) -> EmailMessage | None:
    """The email, now `sending` under a lease; None if it is sent, failed, not due, or leased."""
    return await session.scalar(
        update(EmailMessage)
        .where(EmailMessage.id == email_id, _claimable())
        .values(
            status="sending",
            attempts=EmailMessage.attempts + 1,
            lease_until=func.now() + _seconds(lease.total_seconds()),
        )
        .returning(EmailMessage)
    )


async def mark_sent(session: AsyncSession, email_id: int) -> None:
    await session.execute(
        update(EmailMessage)
        .where(EmailMessage.id == email_id, EmailMessage.status == "sending")
        .values(status="sent", sent_at=func.now(), lease_until=None, last_error=None)
    )


async def schedule_retry(session: AsyncSession, email_id: int, delay: float, error: str) -> None:
    await session.execute(
        update(EmailMessage)
        .where(EmailMessage.id == email_id, EmailMessage.status == "sending")
        .values(
            status="pending",
            next_attempt_at=func.now() + _seconds(delay),
            lease_until=None,
            last_error=error,
        )
    )


async def mark_failed(session: AsyncSession, email_id: int, error: str) -> None:
    await session.execute(
        update(EmailMessage)
        .where(EmailMessage.id == email_id, EmailMessage.status == "sending")
        .values(status="failed", lease_until=None, last_error=error)
    )


async def due_ids(session: AsyncSession, limit: int = 500) -> list[int]:
    rows = await session.scalars(
        select(EmailMessage.id).where(_claimable()).order_by(EmailMessage.id).limit(limit)
    )
    return list(rows)


def _visible(organization_ids: frozenset[int] | None) -> ColumnElement[bool]:
    """Emails of no organization (none yet, but possible) are for the token and superadmins."""
    if organization_ids is None:
        return true()
    return EmailMessage.organization_id.in_(organization_ids)


async def get(
    session: AsyncSession, organization_ids: frozenset[int] | None, email_id: int
) -> EmailMessage | None:
    return await session.scalar(
        select(EmailMessage).where(EmailMessage.id == email_id, _visible(organization_ids))
    )


async def list_failed(
    session: AsyncSession, organization_ids: frozenset[int] | None, *, limit: int, offset: int
) -> tuple[list[EmailMessage], int]:
    query = select(EmailMessage).where(EmailMessage.status == "failed", _visible(organization_ids))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(EmailMessage.id.desc()).limit(limit).offset(offset))
    return list(rows), int(total or 0)


async def reset_failed(session: AsyncSession, email_id: int) -> EmailMessage | None:
    """A failed email back to pending with a fresh retry budget; None if it is not failed
    (any more): two coordinators pressing retry at once reset it once."""
    return await session.scalar(
        update(EmailMessage)
        .where(EmailMessage.id == email_id, EmailMessage.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=func.now(), lease_until=None)
        .returning(EmailMessage)
    )
