"""Who may read and change which organization's Clockify data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from clockify_tracker.auth.dependencies import CurrentPrincipal
from clockify_tracker.auth.principal import ServicePrincipal
from clockify_tracker.auth.service import load_account
from clockify_tracker.exceptions import ForbiddenError, NotFoundError
from clockify_tracker.kit.web import DbSession
from clockify_tracker.models import Role
from clockify_tracker.organization import repository as organization_repository

_WRITERS = {Role.ADMINISTRADOR, Role.COORDINADOR}


@dataclass(frozen=True)
class ClockifyScope:
    """`None` means every organization (the service token, superadmins)."""

    actor: str
    readable: frozenset[int] | None
    writable: frozenset[int] | None
    # Where new objects go when the request names no organization (None: the service token,
    # which uses DEFAULT_ORGANIZATION).
    home_organization_id: int | None = None

    def check_read(self, organization_id: int) -> None:
        """404, not 403: another organization's objects do not exist for this caller."""
        if self.readable is not None and organization_id not in self.readable:
            raise NotFoundError("No encontrado")

    def check_write(self, organization_id: int) -> None:
        self.check_read(organization_id)
        if self.writable is not None and organization_id not in self.writable:
            raise ForbiddenError("Tu rol en esta organización es de solo lectura")


async def clockify_scope(principal: CurrentPrincipal, session: DbSession) -> ClockifyScope:
    if isinstance(principal, ServicePrincipal):
        return ClockifyScope("token:SECRET_TOKEN", None, None)
    account = await load_account(session, principal)
    home = principal.active_organization_id or account.active_organization_id
    if account.is_superadmin:
        return ClockifyScope(account.email, None, None, home)
    memberships = await organization_repository.list_memberships(session, account.id)
    readable = frozenset(organization.id for organization, _ in memberships)
    writable = frozenset(o.id for o, role in memberships if Role(role) in _WRITERS)
    return ClockifyScope(account.email, readable, writable, home)


Scope = Annotated[ClockifyScope, Depends(clockify_scope)]


async def service_token_only(principal: CurrentPrincipal) -> ServicePrincipal:
    """For operations on the service itself rather than on an organization's data: 401 without
    credentials, 403 for any account (superadmins included)."""
    if not isinstance(principal, ServicePrincipal):
        raise ForbiddenError("Solo con el token de servicio (SECRET_TOKEN)")
    return principal


ServiceToken = Annotated[ServicePrincipal, Depends(service_token_only)]
