"""Organizations: naming rules, lookup by any of their names, workspace ownership."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.exceptions import BadRequestError, ConflictError, NotFoundError
from clockify_tracker.models import Organization
from clockify_tracker.organization import repository

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    """ "Mi Empresa, S.A." -> "mi_empresa_s_a": lower-case, accents stripped, the rest `_`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _NON_ALNUM.sub("_", ascii_name.lower()).strip("_")


def database_name_for(slug: str) -> str:
    return f"org_{slug}"


async def create_organization(
    session: AsyncSession, name: str, *, field: str = "name"
) -> Organization:
    """409 when the name, its slug or its database name is taken; `field` is the wire name
    errors point at."""
    name = " ".join(name.split())
    slug = slugify(name)
    if not name or not slug:
        raise BadRequestError("El nombre de la organización no puede estar vacío", field=field)
    created = await repository.insert_if_absent(session, name, slug, database_name_for(slug))
    if created is None:
        raise ConflictError(f"Ya existe una organización llamada {name!r}", field=field)
    return created


async def get_or_create_organization(session: AsyncSession, name: str) -> Organization:
    existing = await repository.find_by_reference(session, name)
    if existing is not None:
        return existing
    slug = slugify(name)
    created = await repository.insert_if_absent(session, name, slug, database_name_for(slug))
    if created is not None:
        return created
    # Created concurrently by another transaction between our look and our insert.
    existing = await repository.find_by_reference(session, name)
    assert existing is not None
    return existing


async def find_organization(session: AsyncSession, reference: str) -> Organization:
    organization = await repository.find_by_reference(session, reference)
    if organization is None:
        raise NotFoundError("Organización no encontrada", field="organizacion")
    return organization


async def owner_of_workspace(
    session: AsyncSession, workspace_id: str, workspace_name: str | None, default_organization: str
) -> int:
    """The organization owning a Clockify workspace. A workspace seen for the first time is
    attached to the default organization (created if missing), so no event is dropped."""
    owner = await repository.workspace_organization_id(session, workspace_id)
    if owner is not None:
        return owner
    organization = await get_or_create_organization(session, default_organization)
    return await repository.attach_workspace(session, workspace_id, organization.id, workspace_name)


async def coordinator_recipients(
    session: AsyncSession,
    organization_id: int,
    *,
    configured: list[str],
    default_organization: str,
) -> list[str]:
    """Who coordinates an organization by email: its coordinator accounts and, for the
    default organization only, the configured MAIL_RECIPIENT/MAIL_RECIPIENTS (another
    organization's data never goes to addresses it did not choose)."""
    addresses = await repository.coordinator_emails(session, organization_id)
    organization = await repository.get(session, organization_id)
    if organization is not None and organization.slug == slugify(default_organization):
        addresses = [*configured, *addresses]
    return list(dict.fromkeys(address.lower() for address in addresses))
