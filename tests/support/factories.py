"""Small factories: `await create_account(db, ...)` with overridable defaults."""

from __future__ import annotations

import httpx

from clockify_tracker.auth import service as auth_service
from clockify_tracker.kit.db import Database
from clockify_tracker.models import Account, Organization, Role
from clockify_tracker.organization import repository as organization_repository
from clockify_tracker.organization import service as organization_service

PASSWORD = "correct-horse-battery-staple"


async def create_organization(db: Database, name: str = "Acme") -> Organization:
    async with db.unit_of_work() as session:
        return await organization_service.create_organization(session, name)


async def create_account(
    db: Database,
    email: str = "ana@example.com",
    *,
    organization: Organization | None = None,
    role: Role = Role.ADMINISTRADOR,
    password: str = PASSWORD,
    superadmin: bool = False,
    active: bool = True,
) -> Account:
    async with db.unit_of_work() as session:
        account = await auth_service.create_account(
            session,
            email=email,
            name=email.split("@")[0].title(),
            password=password,
            organization_reference=organization.name if organization else None,
            role=role,
            is_superadmin=superadmin,
        )
        account.is_active = active
        return account


async def add_membership(
    db: Database, account: Account, organization: Organization, role: Role
) -> None:
    async with db.unit_of_work() as session:
        await organization_repository.upsert_membership(
            session, account.id, organization.id, role.value
        )


async def login(
    client: httpx.AsyncClient, email: str = "ana@example.com", password: str = PASSWORD
) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})
