"""Clockify users as coordinators manage them: the email Clockify never sends, notifications,
expected hours and time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.clockify import repository
from clockify_tracker.clockify.dependencies import ClockifyScope
from clockify_tracker.config import Settings
from clockify_tracker.exceptions import ConflictError, NotFoundError, UnprocessableError
from clockify_tracker.kit.pagination import Page
from clockify_tracker.kit.time import utcnow
from clockify_tracker.models import ClockifyUser
from clockify_tracker.organization import service as organization_service


@dataclass(frozen=True)
class UserChanges:
    """Only the fields a request sent; None means "leave as is"."""

    name: str | None = None
    email: str | None = None
    hours_per_month: int | None = None
    enable: bool | None = None
    notify: bool | None = None
    time_zone: str | None = None
    clear_email: bool = False


async def list_users(
    session: AsyncSession,
    scope: ClockifyScope,
    page: Page,
    *,
    from_date: date | None = None,
    to_date: date | None = None,
) -> tuple[list[ClockifyUser], int]:
    return await repository.list_users(
        session, scope.readable, from_date=from_date, to_date=to_date,
        limit=page.limit, offset=page.offset,
    )  # fmt: skip


async def get_user(session: AsyncSession, scope: ClockifyScope, external_id: str) -> ClockifyUser:
    user = await repository.user_by_external_id(session, external_id)
    if user is None:
        raise NotFoundError("Usuario no encontrado")
    scope.check_read(user.organization_id)
    return user


async def get_user_by_email(
    session: AsyncSession, scope: ClockifyScope, email: str
) -> ClockifyUser:
    users = await repository.users_by_email(session, scope.readable, email)
    if not users:
        raise NotFoundError("Usuario no encontrado")
    return users[0]


async def _check_email(
    session: AsyncSession, organization_id: int, email: str, user_id: int | None = None
) -> None:
    if await repository.email_taken(session, organization_id, email, user_id):
        raise ConflictError(f"Ya hay un usuario con el correo {email}", field="email")


async def create_user(
    session: AsyncSession,
    scope: ClockifyScope,
    settings: Settings,
    *,
    external_id: str,
    changes: UserChanges,
) -> ClockifyUser:
    if scope.home_organization_id is not None:
        organization_id = scope.home_organization_id
    else:
        organization_id = (
            await organization_service.get_or_create_organization(
                session, settings.default_organization
            )
        ).id
    scope.check_write(organization_id)
    if await repository.user_by_external_id(session, external_id) is not None:
        raise ConflictError(f"Ya existe el usuario {external_id}", field="ExternalUserId")
    if changes.email:
        await _check_email(session, organization_id, changes.email)
    enabled = changes.enable if changes.enable is not None else True
    user = ClockifyUser(
        organization_id=organization_id,
        external_id=external_id,
        name=changes.name or external_id,
        email=changes.email,
        hours_per_month=changes.hours_per_month or 0,
        enabled=enabled,
        disabled_at=None if enabled else utcnow(),
        notify=changes.notify if changes.notify is not None else True,
        time_zone=changes.time_zone,
    )
    repository.add_user(session, user)
    await session.flush()
    return user


async def update_user(
    session: AsyncSession, scope: ClockifyScope, external_id: str, changes: UserChanges
) -> ClockifyUser:
    user = await get_user(session, scope, external_id)
    scope.check_write(user.organization_id)
    if changes == UserChanges():
        raise UnprocessableError("Indica al menos un campo a cambiar", field="body")
    if changes.email:
        await _check_email(session, user.organization_id, changes.email, user.id)
        user.email = changes.email
    elif changes.clear_email:
        user.email = None
    if changes.name is not None:
        user.name = changes.name
    if changes.hours_per_month is not None:
        user.hours_per_month = changes.hours_per_month
    if changes.notify is not None:
        user.notify = changes.notify
    if changes.time_zone is not None:
        user.time_zone = changes.time_zone
    if changes.enable is not None and changes.enable != user.enabled:
        user.enabled = changes.enable
        user.disabled_at = None if changes.enable else utcnow()
    await session.flush()
    return user


async def disable_user(
    session: AsyncSession, scope: ClockifyScope, external_id: str
) -> ClockifyUser:
    """Soft: the user's sessions and audit stay; the user stops appearing in reports."""
    return await update_user(session, scope, external_id, UserChanges(enable=False))
