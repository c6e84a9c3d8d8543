"""Every SQL statement on accounts and refresh tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.kit.db import Database
from clockify_tracker.models import Account, RefreshToken


async def find_account_by_email(session: AsyncSession, email: str) -> Account | None:
    return await session.scalar(
        select(Account).where(func.lower(Account.email) == email.strip().lower())
    )


@dataclass(frozen=True)
class Credentials:
    account_id: int
    password_hash: str
    is_active: bool


async def find_credentials(database: Database, email: str) -> Credentials | None:
    """What a login checks, read in a short transaction of its own: the connection goes back
    to the pool before the (slow) password hash, so a flood of logins cannot hold them all."""
    async with database.unit_of_work() as session:
        row = (
            await session.execute(
                select(Account.id, Account.password_hash, Account.is_active).where(
                    func.lower(Account.email) == email.strip().lower()
                )
            )
        ).first()
    return None if row is None else Credentials(row[0], row[1], row[2])


async def get_account(session: AsyncSession, account_id: int) -> Account | None:
    return await session.get(Account, account_id)


async def insert_account(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    password_hash: str,
    is_superadmin: bool,
    phone: str | None = None,
    birth_date: date | None = None,
) -> Account | None:
    """The new account, or None when the email (any letter case) is taken, also by a
    concurrent transaction."""
    account_id = await session.scalar(
        insert(Account)
        .values(
            email=email.strip(),
            name=name,
            password_hash=password_hash,
            is_superadmin=is_superadmin,
            phone=phone,
            birth_date=birth_date,
        )
        .on_conflict_do_nothing()
        .returning(Account.id)
    )
    return None if account_id is None else await session.get(Account, account_id)


async def record_refresh_token(
    session: AsyncSession,
    *,
    jti: uuid.UUID,
    family_id: uuid.UUID,
    account_id: int,
    expires_at: datetime,
) -> None:
    session.add(
        RefreshToken(jti=jti, family_id=family_id, account_id=account_id, expires_at=expires_at)
    )
    await session.flush()


async def spend_refresh_token(session: AsyncSession, jti: uuid.UUID) -> RefreshToken | None:
    """Mark a live refresh token used, atomically: of two concurrent uses only one wins."""
    return await session.scalar(
        update(RefreshToken)
        .where(
            RefreshToken.jti == jti,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > func.now(),
        )
        .values(used_at=func.now())
        .returning(RefreshToken)
    )


async def get_refresh_token(session: AsyncSession, jti: uuid.UUID) -> RefreshToken | None:
    return await session.get(RefreshToken, jti)


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


async def revoke_account_refresh_tokens(session: AsyncSession, account_id: int) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.account_id == account_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
