"""Account administration from the command line (`clockify-tracker create-org|create-account|
set-password|bootstrap-dev`): each command is one unit of work."""

from __future__ import annotations

import secrets

from clockify_tracker.auth import repository, service
from clockify_tracker.config import Settings
from clockify_tracker.kit.db import one_off_unit_of_work
from clockify_tracker.models import Role
from clockify_tracker.organization import service as organization_service

DEV_ORGANIZATION = "Desarrollo"
DEV_ADMIN_EMAIL = "admin@clockify-tracker.dev"


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
