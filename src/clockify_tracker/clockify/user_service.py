"""Clockify users as coordinators manage them: the email Clockify never sends, notifications,
expected hours and time zone.

The email decides where a user's reports go, so changing it is a sensitive change: it is
recorded (clockify_user_change, with the actor), told to the previous address and to the
organization's administrators, and, when a coordinator made it, reports wait
REPORT_NEW_ADDRESS_HOLD_HOURS before going to the new address unless an administrator
confirms it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.clockify import repository
from clockify_tracker.clockify import user_change_repository as changes_repository
from clockify_tracker.config import Settings
from clockify_tracker.email import service as email_service
from clockify_tracker.email.content import user_email_changed
from clockify_tracker.exceptions import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UnprocessableError,
)
from clockify_tracker.kit.time import utcnow
from clockify_tracker.models import ClockifyUser, ClockifyUserChange, Role, UserChangeEvent
from clockify_tracker.organization import repository as organization_repository
from clockify_tracker.organization import service as organization_service

if TYPE_CHECKING:
    from clockify_tracker.clockify.dependencies import ClockifyScope
    from clockify_tracker.kit.pagination import Page

log = logging.getLogger(__name__)


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
    if user.email:
        await _email_changed(session, scope, settings, user, None)
    return user


async def update_user(
    session: AsyncSession,
    scope: ClockifyScope,
    settings: Settings,
    external_id: str,
    changes: UserChanges,
) -> ClockifyUser:
    user = await get_user(session, scope, external_id)
    scope.check_write(user.organization_id)
    if changes == UserChanges():
        raise UnprocessableError("Indica al menos un campo a cambiar", field="body")
    previous_email = user.email
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
    if (user.email or "").lower() != (previous_email or "").lower():
        await _email_changed(session, scope, settings, user, previous_email)
    return user


async def disable_user(
    session: AsyncSession, scope: ClockifyScope, settings: Settings, external_id: str
) -> ClockifyUser:
    """Soft: the user's sessions and audit stay; the user stops appearing in reports."""
    return await update_user(session, scope, settings, external_id, UserChanges(enable=False))


# --- email changes: recorded, told, held ---------------------------------------------------


def _hold(settings: Settings) -> timedelta:
    return timedelta(hours=settings.report_new_address_hold_hours)


async def is_administrator(
    session: AsyncSession, scope: ClockifyScope, organization_id: int
) -> bool:
    """The service token, a superadmin, or an `administrador` of this organization."""
    if scope.writable is None:
        return True
    if organization_id not in scope.writable:
        return False
    administrators = await organization_repository.member_emails(
        session, organization_id, Role.ADMINISTRADOR
    )
    return scope.actor.lower() in {address.lower() for address in administrators}


async def _email_changed(
    session: AsyncSession,
    scope: ClockifyScope,
    settings: Settings,
    user: ClockifyUser,
    previous_email: str | None,
) -> None:
    """Record the change; an administrator's (or the token's) is confirmed as it is made. Then
    the previous address and the administrators are told, by email through the outbox."""
    change = await changes_repository.add(
        session,
        ClockifyUserChange(
            organization_id=user.organization_id, clockify_user_id=user.id,
            event=UserChangeEvent.EMAIL_CHANGED.value, old_email=previous_email,
            new_email=user.email, actor=scope.actor,
        ),
    )  # fmt: skip
    trusted = await is_administrator(session, scope, user.organization_id)
    if trusted and user.email:
        await _confirm(session, scope, user)
    held_until = None
    if not trusted and user.email and settings.report_new_address_hold_hours > 0:
        held_until = change.created_at + _hold(settings)
    log.info(
        "user %s: email changed by %s%s", user.external_id, scope.actor,
        " (reports held until confirmed)" if held_until else "",
    )  # fmt: skip
    await _tell(session, settings, user, change, held_until)


async def _confirm(session: AsyncSession, scope: ClockifyScope, user: ClockifyUser) -> None:
    await changes_repository.add(
        session,
        ClockifyUserChange(
            organization_id=user.organization_id, clockify_user_id=user.id,
            event=UserChangeEvent.EMAIL_CONFIRMED.value, old_email=None,
            new_email=user.email, actor=scope.actor,
        ),
    )  # fmt: skip


async def _tell(
    session: AsyncSession,
    settings: Settings,
    user: ClockifyUser,
    change: ClockifyUserChange,
    held_until: datetime | None,
) -> None:
    """One message to the previous address, another to the administrators (so neither sees
    the other's address). An organization with no administrator account tells its
    coordination recipients instead: somebody must hear of it."""
    common = {
        "user_name": user.name, "external_id": user.external_id,
        "old_email": change.old_email, "new_email": change.new_email, "actor": change.actor,
        "changed_at": change.created_at, "zone": settings.timezone, "held_until": held_until,
    }  # fmt: skip
    administrators = await organization_repository.member_emails(
        session, user.organization_id, Role.ADMINISTRADOR
    )
    if not administrators:
        administrators = await organization_service.coordinator_recipients(
            session, user.organization_id,
            configured=settings.coordinator_recipients,
            default_organization=settings.default_organization,
        )  # fmt: skip
    if administrators:
        content = user_email_changed(audience="administrators", **common)  # type: ignore[arg-type]
        await email_service.enqueue(
            session, kind="user_email_changed", recipients=administrators,
            subject=content.subject, text_body=content.text, html_body=content.html,
            organization_id=user.organization_id,
        )  # fmt: skip
    if change.old_email:
        content = user_email_changed(audience="previous", **common)  # type: ignore[arg-type]
        await email_service.enqueue(
            session, kind="user_email_changed", recipients=[change.old_email],
            subject=content.subject, text_body=content.text, html_body=content.html,
            organization_id=user.organization_id,
        )  # fmt: skip


async def email_held_until(
    session: AsyncSession, settings: Settings, user: ClockifyUser
) -> datetime | None:
    """When reports may go to the user's current email without a confirmation; None when
    they may now (no recent unconfirmed change, or the hold is off)."""
    if not user.email or settings.report_new_address_hold_hours <= 0:
        return None
    change = await changes_repository.pending_change(session, user.id, _hold(settings))
    return change.created_at + _hold(settings) if change is not None else None


async def held_emails(session: AsyncSession, settings: Settings, organization_id: int) -> set[str]:
    """The organization's user emails (lowercase) that reports must not go to yet."""
    if settings.report_new_address_hold_hours <= 0:
        return set()
    return await changes_repository.held_emails(session, organization_id, _hold(settings))


@dataclass(frozen=True)
class EmailConfirmation:
    user: ClockifyUser
    change: ClockifyUserChange


async def confirm_email(
    session: AsyncSession, scope: ClockifyScope, settings: Settings, external_id: str, email: str
) -> EmailConfirmation:
    """An administrator vouches for the user's current email: its reports go there at once.
    The address must be named, so what is confirmed is what the administrator saw."""
    found = await get_user(session, scope, external_id)
    if not await is_administrator(session, scope, found.organization_id):
        scope.check_read(found.organization_id)
        raise ForbiddenError("Solo un administrador de la organización confirma un correo nuevo")
    user = await changes_repository.lock_user(session, found.id)
    assert user is not None
    if (user.email or "").lower() != email.lower():
        raise ConflictError(
            "El correo del usuario ya no es ese: revisa el cambio antes de confirmarlo",
            field="email",
        )
    change = await changes_repository.pending_change(session, user.id, _hold(settings))
    if change is None or settings.report_new_address_hold_hours <= 0:
        raise ConflictError("Ningún cambio de correo de este usuario espera confirmación")
    await _confirm(session, scope, user)
    log.info("user %s: email confirmed by %s", user.external_id, scope.actor)
    return EmailConfirmation(user, change)
