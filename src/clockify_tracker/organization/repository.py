"""Every SQL statement on organizations, memberships and Clockify workspaces."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.models import (
    Account,
    ClockifyWorkspace,
    Membership,
    MembershipAction,
    MembershipEvent,
    Organization,
    Role,
)


async def find_by_reference(session: AsyncSession, reference: str) -> Organization | None:
    """By name (any case), slug or database name: clients send any of the three."""
    lowered = reference.strip().lower()
    return await session.scalar(
        select(Organization).where(
            or_(
                func.lower(Organization.name) == lowered,
                Organization.slug == lowered,
                Organization.database_name == lowered,
            )
        )
    )


async def get(session: AsyncSession, organization_id: int) -> Organization | None:
    return await session.get(Organization, organization_id)


async def insert_if_absent(
    session: AsyncSession, name: str, slug: str, database_name: str
) -> Organization | None:
    """The new organization, or None when the name, slug or database name is taken."""
    organization_id = await session.scalar(
        insert(Organization)
        .values(name=name, slug=slug, database_name=database_name)
        .on_conflict_do_nothing()
        .returning(Organization.id)
    )
    return None if organization_id is None else await session.get(Organization, organization_id)


async def workspace_organization_id(session: AsyncSession, workspace_id: str) -> int | None:
    return await session.scalar(
        select(ClockifyWorkspace.organization_id).where(ClockifyWorkspace.id == workspace_id)
    )


async def attach_workspace(
    session: AsyncSession, workspace_id: str, organization_id: int, name: str | None
) -> int:
    """Attach a workspace unless it already belongs somewhere; returns its owner either way.
    Safe under concurrent first webhooks of the same workspace."""
    await session.execute(
        insert(ClockifyWorkspace)
        .values(id=workspace_id, organization_id=organization_id, name=name)
        .on_conflict_do_nothing(index_elements=[ClockifyWorkspace.id])
    )
    owner = await workspace_organization_id(session, workspace_id)
    assert owner is not None
    return owner


async def list_memberships(
    session: AsyncSession, account_id: int
) -> list[tuple[Organization, str]]:
    rows = await session.execute(
        select(Organization, Membership.role)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.account_id == account_id)
        .order_by(func.lower(Organization.name))
    )
    return [(organization, role) for organization, role in rows.all()]


async def role_in(session: AsyncSession, account_id: int, organization_id: int) -> str | None:
    return await session.scalar(
        select(Membership.role).where(
            Membership.account_id == account_id, Membership.organization_id == organization_id
        )
    )


async def upsert_membership(
    session: AsyncSession, account_id: int, organization_id: int, role: str
) -> None:
    statement = insert(Membership).values(
        account_id=account_id, organization_id=organization_id, role=role
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Membership.account_id, Membership.organization_id],
            set_={"role": statement.excluded.role, "updated_at": func.now()},
        )
    )


async def member_emails(session: AsyncSession, organization_id: int, role: Role) -> list[str]:
    """The active accounts with this role in the organization."""
    rows = await session.scalars(
        select(Account.email)
        .join(Membership, Membership.account_id == Account.id)
        .where(
            Membership.organization_id == organization_id,
            Membership.role == role.value,
            Account.is_active.is_(True),
        )
        .order_by(func.lower(Account.email))
    )
    return list(rows)


async def coordinator_emails(session: AsyncSession, organization_id: int) -> list[str]:
    return await member_emails(session, organization_id, Role.COORDINADOR)


async def lock(session: AsyncSession, organization_id: int) -> None:
    """Serialise membership changes of one organization until the transaction ends, so two
    administrators demoting each other cannot leave it with none."""
    await session.execute(
        select(Organization.id).where(Organization.id == organization_id).with_for_update()
    )


async def list_members(
    session: AsyncSession, organization_id: int, account_id: int | None = None
) -> list[tuple[Account, str, datetime]]:
    """(account, role, joined at) of every member, or of one account when `account_id` is
    given, by name."""
    statement = (
        select(Account, Membership.role, Membership.created_at)
        .join(Membership, Membership.account_id == Account.id)
        .where(Membership.organization_id == organization_id)
        .order_by(func.lower(Account.name), Account.id)
    )
    if account_id is not None:
        statement = statement.where(Account.id == account_id)
    rows = await session.execute(statement)
    return [(account, role, joined) for account, role, joined in rows.all()]


async def insert_membership(
    session: AsyncSession, account_id: int, organization_id: int, role: str
) -> bool:
    """False when the account is a member already (also by a concurrent transaction)."""
    inserted = await session.scalar(
        insert(Membership)
        .values(account_id=account_id, organization_id=organization_id, role=role)
        .on_conflict_do_nothing()
        .returning(Membership.account_id)
    )
    return inserted is not None


async def set_role(session: AsyncSession, account_id: int, organization_id: int, role: str) -> None:
    await session.execute(
        update(Membership)
        .where(Membership.account_id == account_id, Membership.organization_id == organization_id)
        .values(role=role, updated_at=func.now())
    )


async def delete_membership(session: AsyncSession, account_id: int, organization_id: int) -> None:
    await session.execute(
        delete(Membership).where(
            Membership.account_id == account_id, Membership.organization_id == organization_id
        )
    )
    # Its next login or refresh picks another of its organizations.
    await session.execute(
        update(Account)
        .where(Account.id == account_id, Account.active_organization_id == organization_id)
        .values(active_organization_id=None)
    )


async def count_role(session: AsyncSession, organization_id: int, role: Role) -> int:
    count = await session.scalar(
        select(func.count()).where(
            Membership.organization_id == organization_id, Membership.role == role.value
        )
    )
    return count or 0


async def record_event(
    session: AsyncSession,
    organization_id: int,
    account: Account,
    action: MembershipAction,
    actor: str,
    *,
    old_role: Role | None = None,
    new_role: Role | None = None,
) -> None:
    session.add(
        MembershipEvent(
            organization_id=organization_id,
            account_id=account.id,
            account_email=account.email,
            action=action.value,
            old_role=old_role.value if old_role else None,
            new_role=new_role.value if new_role else None,
            actor=actor,
        )
    )
    await session.flush()
