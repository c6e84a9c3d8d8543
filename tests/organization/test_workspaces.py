"""Workspace ownership: a workspace never seen before goes to DEFAULT_ORGANIZATION."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from clockify_tracker.kit.db import Database
from clockify_tracker.models import ClockifyWorkspace, Organization
from clockify_tracker.organization import service
from tests.support.factories import create_organization


async def owner(db: Database, workspace_id: str, default: str = "Predeterminada") -> int:
    async with db.unit_of_work() as session:
        return await service.owner_of_workspace(session, workspace_id, "Mi espacio", default)


async def test_a_new_workspace_goes_to_the_default_organization_created_if_missing(
    db: Database,
) -> None:
    owner_id = await owner(db, "64a1b2c3d4e5f60718293a4b")

    async with db.unit_of_work() as session:
        organization = await session.get(Organization, owner_id)
        workspace = await session.get(ClockifyWorkspace, "64a1b2c3d4e5f60718293a4b")
    assert organization is not None
    assert organization.name == "Predeterminada"
    assert workspace is not None
    assert workspace.organization_id == owner_id


async def test_a_known_workspace_keeps_its_owner(db: Database) -> None:
    acme = await create_organization(db, "Acme")
    async with db.unit_of_work() as session:
        session.add(ClockifyWorkspace(id="ws-acme", organization_id=acme.id, name="Acme WS"))

    assert await owner(db, "ws-acme") == acme.id


async def test_concurrent_first_events_of_one_workspace_agree_on_one_owner(db: Database) -> None:
    owners = await asyncio.gather(*(owner(db, "ws-race") for _ in range(8)))

    assert len(set(owners)) == 1
    async with db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(ClockifyWorkspace)) == 1
        assert await session.scalar(select(func.count()).select_from(Organization)) == 1


def test_slugs_follow_the_contract() -> None:
    assert service.slugify("Mi Empresa") == "mi_empresa"
    assert service.slugify("Compañía Ñandú, S.A. de C.V.") == "compania_nandu_s_a_de_c_v"
    assert service.database_name_for(service.slugify("Mi Empresa")) == "org_mi_empresa"
