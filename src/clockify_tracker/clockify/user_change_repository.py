"""Every SQL statement on clockify_user_change, the record of who changed (and who confirmed)
a Clockify user's email."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from clockify_tracker.models import ClockifyUser, ClockifyUserChange, UserChangeEvent


async def add(session: AsyncSession, change: ClockifyUserChange) -> ClockifyUserChange:
    session.add(change)
    await session.flush()
    return change


async def lock_user(session: AsyncSession, user_id: int) -> ClockifyUser | None:
    """The user, re-read and locked until the transaction ends: a confirmation and a change
    of the same email are taken one after the other."""
    return await session.scalar(
        select(ClockifyUser)
        .where(ClockifyUser.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _unconfirmed(hold: timedelta) -> list[ColumnElement[bool]]:
    """Email changes younger than `hold` with no confirmation after them."""
    confirmation = aliased(ClockifyUserChange)
    return [
        ClockifyUserChange.event == UserChangeEvent.EMAIL_CHANGED.value,
        ClockifyUserChange.new_email.is_not(None),
        ClockifyUserChange.created_at > func.now() - hold,
        ~exists().where(
            confirmation.clockify_user_id == ClockifyUserChange.clockify_user_id,
            confirmation.event == UserChangeEvent.EMAIL_CONFIRMED.value,
            confirmation.id > ClockifyUserChange.id,
        ),
    ]


async def pending_change(
    session: AsyncSession, user_id: int, hold: timedelta
) -> ClockifyUserChange | None:
    """The user's latest email change still waiting for a confirmation, if any."""
    return await session.scalar(
        select(ClockifyUserChange)
        .where(ClockifyUserChange.clockify_user_id == user_id, *_unconfirmed(hold))
        .order_by(ClockifyUserChange.id.desc())
        .limit(1)
    )


async def held_emails(session: AsyncSession, organization_id: int, hold: timedelta) -> set[str]:
    """The current emails (lowercase) of the organization's users whose address is on hold."""
    rows = await session.scalars(
        select(func.lower(ClockifyUser.email))
        .join(ClockifyUserChange, ClockifyUserChange.clockify_user_id == ClockifyUser.id)
        .where(
            ClockifyUser.organization_id == organization_id,
            ClockifyUser.email.is_not(None),
            *_unconfirmed(hold),
        )
        .distinct()
    )
    return {email for email in rows if email}
