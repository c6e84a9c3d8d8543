"""/api-clockify/users: the seed's user routes. Auth as for sessions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from clockify_tracker.clockify import user_service
from clockify_tracker.clockify.dependencies import Scope
from clockify_tracker.clockify.schemas import (
    UserCreate,
    UserDeleted,
    UserEmailConfirm,
    UserEmailConfirmed,
    UserOut,
    UserUpdate,
    user_email_confirmed,
    user_out,
)
from clockify_tracker.clockify.session_endpoints import Day
from clockify_tracker.clockify.session_service import parse_day
from clockify_tracker.clockify.user_service import UserChanges
from clockify_tracker.exceptions import UnprocessableError
from clockify_tracker.kit.pagination import PageParams
from clockify_tracker.kit.routing import both_slashes
from clockify_tracker.kit.validation import TextPath
from clockify_tracker.kit.web import DbSession, Services

users = APIRouter(prefix="/api-clockify/users", tags=["users"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such user, or it belongs to another organization"}
}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The ExternalUserId or the email is already used"}
}


def _changes(body: UserCreate | UserUpdate) -> UserChanges:
    sent = body.model_fields_set
    return UserChanges(
        name=body.name,
        email=str(body.email) if body.email else None,
        hours_per_month=body.hoursPerMonth,
        enable=body.enable,
        notify=body.notify,
        time_zone=body.timeZone,
        clear_email="email" in sent and body.email is None,
    )


@both_slashes(users, "GET", "/getAll/", summary="All users", response_model=list[UserOut])
async def get_all_users(
    scope: Scope, session: DbSession, page: PageParams, response: Response
) -> list[UserOut]:
    """Every Clockify user you may see, newest first."""
    rows, total = await user_service.list_users(session, scope, page)
    page.report(response, total)
    return [user_out(user) for user in rows]


@both_slashes(
    users, "GET", "/getByExternalId/{external_id}", summary="One user by Clockify id",
    response_model=UserOut, responses=_NOT_FOUND,
)  # fmt: skip
async def get_user_by_external_id(
    external_id: TextPath, scope: Scope, session: DbSession
) -> UserOut:
    """The user with this Clockify user id."""
    return user_out(await user_service.get_user(session, scope, external_id))


@both_slashes(
    users, "GET", "/getByEmail/{email}", summary="One user by email",
    response_model=UserOut, responses=_NOT_FOUND,
)  # fmt: skip
async def get_user_by_email(email: TextPath, scope: Scope, session: DbSession) -> UserOut:
    """The user with this email (any letter case)."""
    return user_out(await user_service.get_user_by_email(session, scope, email))


@both_slashes(
    users, "POST", "/create/", summary="Create a user", response_model=UserOut,
    status_code=201, responses=_CONFLICT,
)  # fmt: skip
async def create_user(
    body: UserCreate, scope: Scope, session: DbSession, services: Services
) -> UserOut:
    """Usually users appear with their first webhook; this registers one beforehand, in your
    active organization (the service token: DEFAULT_ORGANIZATION)."""
    user = await user_service.create_user(
        session, scope, services.settings, external_id=body.ExternalUserId, changes=_changes(body)
    )
    return user_out(user)


@both_slashes(
    users, "PUT", "/update/{external_id}", summary="Update a user",
    response_model=UserOut, responses={**_NOT_FOUND, **_CONFLICT},
)  # fmt: skip
async def update_user(
    external_id: TextPath, body: UserUpdate, scope: Scope, session: DbSession, services: Services
) -> UserOut:
    """Set the email Clockify never sends, notifications, expected hours, time zone, or
    enable/disable. Webhooks never overwrite these. A new email is recorded and told to the
    previous address and the administrators; set by a coordinator, it gets no reports for
    REPORT_NEW_ADDRESS_HOLD_HOURS unless an administrator confirms it."""
    user = await user_service.update_user(
        session, scope, services.settings, external_id, _changes(body)
    )
    return user_out(user)


@both_slashes(
    users, "DELETE", "/deleteByExternalId/{external_id}", summary="Disable a user",
    response_model=UserDeleted, responses=_NOT_FOUND,
)  # fmt: skip
async def delete_user(
    external_id: TextPath, scope: Scope, session: DbSession, services: Services
) -> UserDeleted:
    """Soft: the user is disabled; their sessions and audit stay."""
    user = await user_service.disable_user(session, scope, services.settings, external_id)
    return UserDeleted(**user_out(user).model_dump(), message="User deleted")


@both_slashes(
    users, "POST", "/confirmEmail/{external_id}", summary="Confirm a user's new email",
    response_model=UserEmailConfirmed,
    responses={
        **_NOT_FOUND,
        403: {"description": "Not an administrator of the user's organization"},
        409: {"description": "No change waits for confirmation, or the email is not that one"},
    },
)  # fmt: skip
async def confirm_user_email(
    external_id: TextPath,
    body: UserEmailConfirm,
    scope: Scope,
    session: DbSession,
    services: Services,
) -> UserEmailConfirmed:
    """Administrators (and the service token): vouch for the email a coordinator set, so its
    reports go there now instead of after REPORT_NEW_ADDRESS_HOLD_HOURS."""
    confirmed = await user_service.confirm_email(
        session, scope, services.settings, external_id, str(body.email)
    )
    return user_email_confirmed(confirmed.user, confirmed.change, scope.actor)


@both_slashes(
    users, "GET", "/search/", summary="Users with sessions on a day or in a range",
    response_model=list[UserOut],
)  # fmt: skip
async def search_users(
    scope: Scope,
    session: DbSession,
    page: PageParams,
    response: Response,
    startDate: Day = None,  # noqa: N803
    fromDate: Day = None,  # noqa: N803
    toDate: Day = None,  # noqa: N803
) -> list[UserOut]:
    """`startDate` (one local day) or `fromDate`/`toDate` (a range, either end optional)."""
    on_day = parse_day(startDate, "startDate")
    first = on_day or parse_day(fromDate, "fromDate")
    last = on_day or parse_day(toDate, "toDate")
    if first is None and last is None:
        raise UnprocessableError("Indica startDate, fromDate o toDate", field="query")
    rows, total = await user_service.list_users(session, scope, page, from_date=first, to_date=last)
    page.report(response, total)
    return [user_out(user) for user in rows]
