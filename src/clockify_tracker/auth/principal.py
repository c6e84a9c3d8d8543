"""Who is calling: an account (JWT cookie or Bearer) or the service token, and with what role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from clockify_tracker.auth.tokens import TokenClaims
from clockify_tracker.models import Organization, Role


@dataclass(frozen=True)
class AccountPrincipal:
    account_id: int
    email: str
    is_superadmin: bool
    active_organization_id: int | None
    claims: TokenClaims
    via: Literal["cookie", "bearer"]


@dataclass(frozen=True)
class ServicePrincipal:
    """`SECRET_TOKEN`: scripts and machine clients; acts on every organization's Clockify data."""


Principal = AccountPrincipal | ServicePrincipal


@dataclass(frozen=True)
class OrganizationAccess:
    """A caller's standing in one organization. `role` is None for the service token and for
    superadmins, who act with every permission there."""

    organization: Organization
    role: Role | None

    def allows(self, *roles: Role) -> bool:
        return self.role is None or self.role in roles
