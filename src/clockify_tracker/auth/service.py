"""Accounts and browser sessions: login, refresh rotation, logout, organization switching."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.auth import repository, revocation
from clockify_tracker.auth.passwords import (
    hash_password,
    hashing_slot,
    password_problem,
    verify_password,
)
from clockify_tracker.auth.principal import AccountPrincipal, OrganizationAccess
from clockify_tracker.auth.ratelimit import LoginLimiter, RegistrationLimiter
from clockify_tracker.auth.tokens import IssuedToken, TokenClaims, TokenCodec
from clockify_tracker.config import Settings
from clockify_tracker.exceptions import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
)
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.time import utcnow
from clockify_tracker.models import (
    Account,
    MembershipAction,
    Organization,
    Role,
)
from clockify_tracker.organization import repository as organization_repository
from clockify_tracker.organization import service as organization_service

INVALID_CREDENTIALS = "Correo o contraseña incorrectos"
NO_ACCESS = "No tienes acceso a esta organización"


@dataclass(frozen=True)
class Membership:
    organization: Organization
    role: Role


@dataclass(frozen=True)
class AccountView:
    account: Account
    memberships: list[Membership]
    active: Membership | None


@dataclass(frozen=True)
class SessionTokens:
    access: IssuedToken
    refresh: IssuedToken


class RefreshFailure(enum.Enum):
    INVALID = "invalid"
    REUSED = "reused"


async def describe_account(session: AsyncSession, account: Account) -> AccountView:
    memberships = [
        Membership(organization, Role(role))
        for organization, role in await organization_repository.list_memberships(
            session, account.id
        )
    ]
    active = next(
        (m for m in memberships if m.organization.id == account.active_organization_id),
        memberships[0] if memberships else None,
    )
    return AccountView(account, memberships, active)


def _organization_claim(membership: Membership) -> dict[str, Any]:
    organization = membership.organization
    return {
        "id": organization.id,
        "nombre": organization.name,
        "slug": organization.slug,
        "database": organization.database_name,
        "rol": membership.role.value,
    }


def access_claims(view: AccountView) -> dict[str, Any]:
    account = view.account
    return {
        "email": account.email,
        "correo": account.email,
        "nombre": account.name,
        "superadmin": account.is_superadmin,
        "organizacionActiva": _organization_claim(view.active) if view.active else None,
        "rol": view.active.role.value if view.active else None,
    }


async def _issue_session(
    session: AsyncSession, codec: TokenCodec, view: AccountView, family_id: uuid.UUID
) -> SessionTokens:
    access = codec.issue("access", view.account.id, family_id, access_claims(view))
    refresh = codec.issue("refresh", view.account.id, family_id)
    await repository.record_refresh_token(
        session,
        jti=refresh.jti,
        family_id=family_id,
        account_id=view.account.id,
        expires_at=refresh.expires_at,
    )
    return SessionTokens(access, refresh)


async def login(
    session: AsyncSession,
    database: Database,
    limiter: LoginLimiter,
    codec: TokenCodec,
    settings: Settings,
    *,
    email: str,
    password: str,
    client_address: str,
) -> tuple[AccountView, SessionTokens]:
    """The same answer, in the same time, for an unknown email and a wrong password. The
    attempt is counted before anything else; the hash runs in a bounded slot with no database
    connection held (the request's transaction takes one only afterwards)."""
    await limiter.count_attempt(email, client_address)
    async with hashing_slot(settings.login_max_concurrent_hashes, settings.login_hash_wait_seconds):
        found = await repository.find_credentials(database, email)
        password_ok = await verify_password(found.password_hash if found else None, password)
    if found is None or not password_ok or not found.is_active:
        raise UnauthorizedError(INVALID_CREDENTIALS)
    await limiter.record_success(email, client_address)
    account = await repository.get_account(session, found.account_id)
    if account is None:  # deleted between the two reads
        raise UnauthorizedError(INVALID_CREDENTIALS)
    account.last_login_at = utcnow()
    view = await describe_account(session, account)
    if view.active and account.active_organization_id != view.active.organization.id:
        account.active_organization_id = view.active.organization.id
    return view, await _issue_session(session, codec, view, uuid.uuid4())


async def refresh(
    session: AsyncSession, redis: Redis, codec: TokenCodec, refresh_value: str | None
) -> tuple[AccountView, SessionTokens] | RefreshFailure:
    """Rotate: the presented refresh token is spent and a new pair issued in its family.

    Presenting a spent token again means it was copied: the whole family (the stolen copy and
    the legitimate session alike) is revoked. The revocation must be committed, so failures are
    returned, not raised."""
    if not refresh_value:
        return RefreshFailure.INVALID
    try:
        claims = codec.decode(refresh_value, "refresh")
    except UnauthorizedError:
        return RefreshFailure.INVALID
    spent = await repository.spend_refresh_token(session, claims.jti)
    if spent is None:
        known = await repository.get_refresh_token(session, claims.jti)
        if known is not None and (known.used_at is not None or known.revoked_at is not None):
            await revoke_family(session, redis, codec, known.family_id)
            return RefreshFailure.REUSED
        return RefreshFailure.INVALID
    account = await repository.get_account(session, spent.account_id)
    if account is None or not account.is_active:
        return RefreshFailure.INVALID
    view = await describe_account(session, account)
    return view, await _issue_session(session, codec, view, spent.family_id)


async def revoke_family(
    session: AsyncSession,
    redis: Redis,
    codec: TokenCodec,
    family_id: uuid.UUID,
    access: TokenClaims | None = None,
) -> None:
    await repository.revoke_family(session, family_id)
    await revocation.revoke(
        redis,
        access_jti=access.jti if access else None,
        access_expires_at=access.expires_at if access else None,
        family_id=family_id,
        access_lifetime=codec.lifetime("access"),
    )


async def logout(
    session: AsyncSession,
    redis: Redis,
    codec: TokenCodec,
    *,
    access_value: str | None,
    refresh_value: str | None,
) -> None:
    """Revoke whatever valid tokens were presented; logging out twice is not an error."""
    access = _decode_quietly(codec, access_value, "access")
    refresh_claims = _decode_quietly(codec, refresh_value, "refresh")
    families = {c.family_id for c in (access, refresh_claims) if c is not None}
    for family_id in families:
        await revoke_family(session, redis, codec, family_id, access)
    if access is not None and not families:
        await revoke_family(session, redis, codec, access.family_id, access)


def _decode_quietly(codec: TokenCodec, value: str | None, kind: Any) -> TokenClaims | None:
    if not value:
        return None
    try:
        return codec.decode(value, kind)
    except UnauthorizedError:
        return None


async def authenticate(redis: Redis, codec: TokenCodec, token: str, via: Any) -> AccountPrincipal:
    claims = codec.decode(token, "access")
    if await revocation.is_revoked(redis, claims.jti, claims.family_id):
        raise UnauthorizedError("La sesión fue cerrada; inicia sesión de nuevo")
    active = claims.raw.get("organizacionActiva") or {}
    return AccountPrincipal(
        account_id=claims.account_id,
        email=str(claims.raw.get("email", "")),
        is_superadmin=bool(claims.raw.get("superadmin", False)),
        active_organization_id=active.get("id"),
        claims=claims,
        via=via,
    )


async def load_account(session: AsyncSession, principal: AccountPrincipal) -> Account:
    account = await repository.get_account(session, principal.account_id)
    if account is None or not account.is_active:
        raise UnauthorizedError("La cuenta no existe o está desactivada")
    return account


async def describe_principal(session: AsyncSession, principal: AccountPrincipal) -> AccountView:
    """The account as its token sees it: the token's active organization while it is still
    one of the account's, else the account's own choice."""
    account = await load_account(session, principal)
    view = await describe_account(session, account)
    if principal.active_organization_id is None:
        return view
    chosen = next(
        (m for m in view.memberships if m.organization.id == principal.active_organization_id),
        view.active,
    )
    return AccountView(view.account, view.memberships, chosen)


async def organization_access(
    session: AsyncSession, principal: AccountPrincipal, reference: str | None
) -> OrganizationAccess:
    """The organization named by `reference` (name, slug or database name), or the token's
    active one when absent; 403 when the account is not a member, 404 when it does not exist."""
    account = await load_account(session, principal)
    if reference:
        organization = await organization_service.find_organization(session, reference)
    else:
        organization_id = principal.active_organization_id or account.active_organization_id
        found = (
            await organization_repository.get(session, organization_id) if organization_id else None
        )
        if found is None:
            raise ForbiddenError("No tienes una organización activa; elige una")
        organization = found
    if account.is_superadmin:
        return OrganizationAccess(organization, None)
    role = await organization_repository.role_in(session, account.id, organization.id)
    if role is None:
        raise ForbiddenError(NO_ACCESS)
    return OrganizationAccess(organization, Role(role))


async def switch_organization(
    session: AsyncSession,
    codec: TokenCodec,
    principal: AccountPrincipal,
    reference: str,
) -> tuple[AccountView, IssuedToken]:
    access = await organization_access(session, principal, reference)
    account = await load_account(session, principal)
    account.active_organization_id = access.organization.id
    view = await describe_account(session, account)
    if access.role is None and (
        view.active is None or view.active.organization.id != access.organization.id
    ):
        # A superadmin outside their memberships acts as administrator there.
        view = AccountView(
            account, view.memberships, Membership(access.organization, Role.ADMINISTRADOR)
        )
    token = codec.issue("access", account.id, principal.claims.family_id, access_claims(view))
    return view, token


REGISTRATION_CLOSED = (
    "El registro de nuevas organizaciones está desactivado; pide a un administrador que te "
    "dé acceso"
)


@dataclass(frozen=True)
class Registration:
    organization_name: str
    name: str
    email: str
    password: str
    phone: str | None
    birth_date: date | None


async def register(
    session: AsyncSession,
    limiter: RegistrationLimiter,
    codec: TokenCodec,
    registration: Registration,
    *,
    enabled: bool,
    client_address: str,
) -> tuple[AccountView, SessionTokens]:
    """A new organization with the registrant as its administrator, logged in at once."""
    if not enabled:
        raise ForbiddenError(REGISTRATION_CLOSED)
    await limiter.count_attempt(client_address)
    name = " ".join(registration.name.split())
    if not name:
        raise BadRequestError("El nombre no puede estar vacío", field="nombre")
    _check_password(registration.password, "contraseña", administrator=True)
    organization = await organization_service.create_organization(
        session, registration.organization_name, field="organizacion"
    )
    account = await create_account(
        session,
        email=registration.email,
        name=name,
        password=registration.password,
        organization_reference=organization.database_name,
        role=Role.ADMINISTRADOR,
        phone=registration.phone,
        birth_date=registration.birth_date,
        field_names=("correo", "contraseña"),
    )
    await organization_repository.record_event(
        session,
        organization.id,
        account,
        MembershipAction.ACCOUNT_CREATED,
        "registro",
        new_role=Role.ADMINISTRADOR,
    )
    account.last_login_at = utcnow()
    view = await describe_account(session, account)
    return view, await _issue_session(session, codec, view, uuid.uuid4())


def _check_password(password: str, field: str = "password", *, administrator: bool) -> None:
    if problem := password_problem(password, administrator=administrator):
        raise BadRequestError(problem, field=field)


async def create_account(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    password: str,
    organization_reference: str | None,
    role: Role,
    is_superadmin: bool = False,
    phone: str | None = None,
    birth_date: date | None = None,
    field_names: tuple[str, str] = ("email", "password"),
) -> Account:
    """A new account (409 when the email is taken), with its membership when an organization
    is named. `field_names` are the wire names errors point at (`correo`, `contraseña`)."""
    email_field, password_field = field_names
    _check_password(
        password, password_field, administrator=is_superadmin or role is Role.ADMINISTRADOR
    )
    account = await repository.insert_account(
        session,
        email=email,
        name=name or email.split("@")[0],
        password_hash=await hash_password(password),
        is_superadmin=is_superadmin,
        phone=phone,
        birth_date=birth_date,
    )
    if account is None:
        raise ConflictError(f"Ya existe una cuenta con el correo {email}", field=email_field)
    if organization_reference:
        organization = await organization_service.find_organization(session, organization_reference)
        await organization_repository.upsert_membership(
            session, account.id, organization.id, role.value
        )
        account.active_organization_id = organization.id
    return account


async def set_password(session: AsyncSession, *, email: str, password: str) -> Account:
    account = await repository.find_account_by_email(session, email)
    if account is None:
        raise NotFoundError(f"No existe una cuenta con el correo {email}", field="email")
    administrator = account.is_superadmin or Role.ADMINISTRADOR.value in {
        role for _, role in await organization_repository.list_memberships(session, account.id)
    }
    _check_password(password, administrator=administrator)
    account.password_hash = await hash_password(password)
    # A new password ends every browser session of the account (refresh tokens at once; an
    # access token already issued lives out its few minutes).
    await repository.revoke_account_refresh_tokens(session, account.id)
    return account
