"""Account administration from the command line (`clockify-tracker create-org|create-account|
add-member|remove-member|set-password|bootstrap-dev`): each command is one unit of work."""

from __future__ import annotations

import secrets

from clockify_tracker.auth import repository, service
from clockify_tracker.config import Settings
from clockify_tracker.kit.db import one_off_unit_of_work
from clockify_tracker.models import Role
from clockify_tracker.organization import member_service
from clockify_tracker.organization import repository as organization_repository
from clockify_tracker.organization import service as organization_service

DEV_ORGANIZATION = "Desarrollo"
DEV_ADMIN_EMAIL = "admin@clockify-tracker.dev"
CLI_ACTOR = "cli"


async def create_organization(settings: Settings, name: str) -> str:
    async with one_off_unit_of_work(settings.database_url) as session:
        organization = await organization_service.create_organization(session, name)
        return (
            f"{organization.name} (slug {organization.slug}, database {organization.database_name})"
        )


async def create_account(
    settings: Settings,
    *,
    email: str,
    name: str,
    password: str,
    organization: str | None,
    role: Role,
    superadmin: bool,
) -> int:
    async with one_off_unit_of_work(settings.database_url) as session:
        account = await service.create_account(
            session,
            email=email,
            name=name,
            password=password,
            organization_reference=organization,
            role=role,
            is_superadmin=superadmin,
        )
        return account.id


async def add_member(settings: Settings, *, email: str, organization: str, role: Role) -> str:
    """Give an existing account a membership, or set its role where it has one."""
    async with one_off_unit_of_work(settings.database_url) as session:
        found = await organization_service.find_organization(session, organization)
        account_id = await member_service.account_id_by_email(session, email)
        if await organization_repository.role_in(session, account_id, found.id) is None:
            account = await repository.get_account(session, account_id)
            assert account is not None
            await member_service.add_member(
                session,
                found,
                member_service.NewMember(email=account.email, name="", password="", role=role),
                CLI_ACTOR,
            )
            return f"added {email} to {found.name} as {role.value}"
        await member_service.change_role(session, found, account_id, role, CLI_ACTOR)
        return f"{email} is {role.value} in {found.name}"


async def remove_member(settings: Settings, *, email: str, organization: str) -> str:
    async with one_off_unit_of_work(settings.database_url) as session:
        found = await organization_service.find_organization(session, organization)
        account_id = await member_service.account_id_by_email(session, email)
        await member_service.remove_member(session, found, account_id, CLI_ACTOR)
        return f"removed {email} from {found.name}"


async def set_password(settings: Settings, *, email: str, password: str) -> None:
    async with one_off_unit_of_work(settings.database_url) as session:
        await service.set_password(session, email=email, password=password)


async def ensure_dev_admin(settings: Settings) -> str | None:
    """First start of `make dev`: a development organization and its administrator.
    Returns the generated password when it created them, None when they existed."""
    async with one_off_unit_of_work(settings.database_url) as session:
        if await repository.find_account_by_email(session, DEV_ADMIN_EMAIL) is not None:
            return None
        await organization_service.get_or_create_organization(session, DEV_ORGANIZATION)
        password = secrets.token_urlsafe(12)
        await service.create_account(
            session,
            email=DEV_ADMIN_EMAIL,
            name="Administrador de desarrollo",
            password=password,
            organization_reference=DEV_ORGANIZATION,
            role=Role.ADMINISTRADOR,
            is_superadmin=True,
        )
        return password
