"""An organization's members: who may see and change them, the last-administrator rule, and
the record of every change. Used by /api/auth/users and by the command line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.auth import repository as account_repository
from clockify_tracker.auth import service as auth_service
from clockify_tracker.auth.principal import AccountPrincipal
from clockify_tracker.exceptions import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
)
from clockify_tracker.models import (
    Account,
    MembershipAction,
    Organization,
    Role,
)
from clockify_tracker.organization import repository

NOT_ADMINISTERED = "No administras esa organización; solo sus administradores gestionan usuarios"
NOT_A_MEMBER = "Ese usuario no pertenece a la organización"
LAST_ADMINISTRATOR = (
    "La organización se quedaría sin administradores; nombra primero a otro administrador"
)


@dataclass(frozen=True)
class Member:
    account: Account
    role: Role
    joined_at: datetime


@dataclass(frozen=True)
class MemberList:
    organization: Organization
    caller_role: Role  # a superadmin outside the organization acts as its administrator
    members: list[Member]


@dataclass(frozen=True)
class NewMember:
    email: str
    name: str
    password: str
    role: Role
    phone: str | None = None
    birth_date: date | None = None


async def _standing(
    session: AsyncSession, principal: AccountPrincipal, reference: str | None
) -> tuple[Organization, Role]:
    """The organization and the caller's role there. An unknown organization and one the
    caller does not belong to get the same 403: the answer tells nothing of other tenants."""
    try:
        access = await auth_service.organization_access(session, principal, reference)
    except NotFoundError:
        raise ForbiddenError(auth_service.NO_ACCESS) from None
    return access.organization, access.role or Role.ADMINISTRADOR


async def list_members(
    session: AsyncSession, principal: AccountPrincipal, reference: str | None
) -> MemberList:
    """Administrators see every member; anyone else sees only their own entry."""
    organization, role = await _standing(session, principal, reference)
    only = None if role is Role.ADMINISTRADOR else principal.account_id
    rows = await repository.list_members(session, organization.id, only)
    members = [Member(account, Role(member_role), joined) for account, member_role, joined in rows]
    return MemberList(organization, role, members)


async def administered_organization(
    session: AsyncSession, principal: AccountPrincipal, reference: str
) -> Organization:
    """The organization named by `reference`, when the caller administers it; else 403."""
    try:
        organization, role = await _standing(session, principal, reference)
    except ForbiddenError:
        raise ForbiddenError(NOT_ADMINISTERED) from None
    if role is not Role.ADMINISTRADOR:
        raise ForbiddenError(NOT_ADMINISTERED)
    return organization


async def _member(session: AsyncSession, organization: Organization, account_id: int) -> Member:
    rows = await repository.list_members(session, organization.id, account_id)
    if not rows:
        raise NotFoundError(NOT_A_MEMBER, field="id_usuario")
    account, role, joined = rows[0]
    return Member(account, Role(role), joined)


async def add_member(
    session: AsyncSession, organization: Organization, new: NewMember, actor: str
) -> tuple[Member, bool]:
    """Create the account with its membership, or add an existing account (same email, any
    letter case) to the organization; an existing account's password and details are left
    as they are. Returns the member and whether the account was created."""
    await repository.lock(session, organization.id)
    existing = await account_repository.find_account_by_email(session, new.email)
    if existing is not None:
        if not existing.is_active:
            raise ConflictError(
                "La cuenta con ese correo está desactivada; pide a soporte que la reactive",
                field="correo",
            )
        if not await repository.insert_membership(
            session, existing.id, organization.id, new.role.value
        ):
            raise ConflictError("Ese usuario ya pertenece a la organización", field="correo")
        await repository.record_event(
            session, organization.id, existing, MembershipAction.ADDED, actor, new_role=new.role
        )
        return await _member(session, organization, existing.id), False
    name = " ".join(new.name.split())
    if not name:
        raise BadRequestError("El nombre no puede estar vacío", field="nombre")
    account = await auth_service.create_account(
        session,
        email=new.email,
        name=name,
        password=new.password,
        organization_reference=None,
        role=new.role,
        phone=new.phone,
        birth_date=new.birth_date,
        field_names=("correo", "contraseña"),
    )
    await repository.insert_membership(session, account.id, organization.id, new.role.value)
    account.active_organization_id = organization.id
    await repository.record_event(
        session,
        organization.id,
        account,
        MembershipAction.ACCOUNT_CREATED,
        actor,
        new_role=new.role,
    )
    return await _member(session, organization, account.id), True


async def _keep_an_administrator(
    session: AsyncSession, organization: Organization, member: Member
) -> None:
    if (
        member.role is Role.ADMINISTRADOR
        and await repository.count_role(session, organization.id, Role.ADMINISTRADOR) <= 1
    ):
        raise ConflictError(LAST_ADMINISTRATOR, field="id_usuario")


async def change_role(
    session: AsyncSession, organization: Organization, account_id: int, role: Role, actor: str
) -> Member:
    await repository.lock(session, organization.id)
    member = await _member(session, organization, account_id)
    if member.role is role:
        return member
    if role is not Role.ADMINISTRADOR:
        await _keep_an_administrator(session, organization, member)
    await repository.set_role(session, account_id, organization.id, role.value)
    await repository.record_event(
        session,
        organization.id,
        member.account,
        MembershipAction.ROLE_CHANGED,
        actor,
        old_role=member.role,
        new_role=role,
    )
    return Member(member.account, role, member.joined_at)


async def remove_member(
    session: AsyncSession, organization: Organization, account_id: int, actor: str
) -> Member:
    """Only this membership goes: the account and its other organizations stay."""
    await repository.lock(session, organization.id)
    member = await _member(session, organization, account_id)
    await _keep_an_administrator(session, organization, member)
    await repository.delete_membership(session, account_id, organization.id)
    await repository.record_event(
        session,
        organization.id,
        member.account,
        MembershipAction.REMOVED,
        actor,
        old_role=member.role,
    )
    return member


async def account_id_by_email(session: AsyncSession, email: str) -> int:
    account = await account_repository.find_account_by_email(session, email)
    if account is None:
        raise NotFoundError(f"No existe una cuenta con el correo {email}", field="email")
    return account.id
