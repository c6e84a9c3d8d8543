"""/api-clockify/sessions and /api-clockify/session-binnacle: the seed's routes for coordinators.

Auth: the service token, or a logged-in account with a role in the session's organization.
Lists are arrays, newest first, paged by `limit`/`offset`, with the total in `X-Total-Count`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from clockify_tracker.clockify import session_service
from clockify_tracker.clockify.dependencies import Scope
from clockify_tracker.clockify.repository import SessionFilters
from clockify_tracker.clockify.schemas import (
    ApproveRequest,
    BinnacleNote,
    BinnacleOut,
    SessionCreate,
    SessionCreated,
    SessionDecided,
    SessionDeleted,
    SessionOut,
    SessionUpdate,
    SessionUpdated,
    binnacle_out,
    session_out,
    with_message,
)
from clockify_tracker.exceptions import UnprocessableError
from clockify_tracker.kit.pagination import PageParams
from clockify_tracker.kit.routing import both_slashes
from clockify_tracker.kit.validation import IdPath, IdQuery, NoNul, TextPath, TextQuery
from clockify_tracker.kit.web import DbSession, Services

sessions = APIRouter(prefix="/api-clockify/sessions", tags=["sessions"])
binnacle = APIRouter(prefix="/api-clockify/session-binnacle", tags=["binnacle"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such id, or it belongs to another organization"}
}
Text = TextQuery
Day = Annotated[
    str | None, Query(description="YYYY-MM-DD, a local day", examples=["2025-07-15"]), NoNul
]


def _filters(
    *,
    email: str | None = None,
    user_id: int | None = None,
    external_id: str | None = None,
    project_name: str | None = None,
    task_name: str | None = None,
    description: str | None = None,
    status: str | None = None,
    start_date: str | None = None,
    from_date: str | None = None,
    to_date: str | None = None,
) -> SessionFilters:
    filters = SessionFilters(
        email=email,
        user_id=user_id,
        external_id=external_id,
        project_name=project_name,
        task_name=task_name,
        description=description,
        status=status,
        on_date=session_service.parse_day(start_date, "startDate"),
        from_date=session_service.parse_day(from_date, "fromDate"),
        to_date=session_service.parse_day(to_date, "toDate"),
    )
    if filters == SessionFilters():
        raise UnprocessableError("Indica al menos un filtro de búsqueda", field="query")
    return filters


@both_slashes(sessions, "GET", "/getAll", summary="All sessions", response_model=list[SessionOut])
async def get_all_sessions(
    scope: Scope, session: DbSession, page: PageParams, response: Response
) -> list[SessionOut]:
    """Every session you may see (deleted ones too, with `enable: false`), newest first."""
    rows, total = await session_service.list_sessions(session, scope, SessionFilters(), page)
    page.report(response, total)
    return [session_out(found) for found in rows]


@both_slashes(
    sessions, "GET", "/getById/{session_id}", summary="One session by its id",
    response_model=SessionOut, responses=_NOT_FOUND,
)  # fmt: skip
async def get_session_by_id(session_id: IdPath, scope: Scope, session: DbSession) -> SessionOut:
    """The session with this internal id (`idSesion`)."""
    return session_out(await session_service.get_session(session, scope, session_id))


@both_slashes(
    sessions, "GET", "/getByEmail/{email}", summary="A user's sessions, by the user's email",
    response_model=list[SessionOut],
)  # fmt: skip
async def get_sessions_by_email(
    email: TextPath, scope: Scope, session: DbSession, page: PageParams, response: Response
) -> list[SessionOut]:
    """Sessions of the user with this email (any letter case); empty when none."""
    rows, total = await session_service.list_sessions(
        session, scope, SessionFilters(email=email), page
    )
    page.report(response, total)
    return [session_out(found) for found in rows]


@both_slashes(
    sessions, "GET", "/getByUser/{idUser}", summary="A user's sessions, by the user's id",
    response_model=list[SessionOut],
)  # fmt: skip
async def get_sessions_by_user(
    idUser: IdPath,  # noqa: N803 - the seed's path name
    scope: Scope,
    session: DbSession,
    page: PageParams,
    response: Response,
) -> list[SessionOut]:
    """Sessions of the user with this internal id (`idUser`); empty when none."""
    rows, total = await session_service.list_sessions(
        session, scope, SessionFilters(user_id=idUser), page
    )
    page.report(response, total)
    return [session_out(found) for found in rows]


@both_slashes(
    sessions, "GET", "/search/", summary="Search sessions (filters combine with AND)",
    response_model=list[SessionOut],
)  # fmt: skip
async def search_sessions(
    scope: Scope,
    session: DbSession,
    page: PageParams,
    response: Response,
    email: Text = None,
    idUser: IdQuery = None,  # noqa: N803
    external_sesion_id: Text = None,
    projectName: Text = None,  # noqa: N803
    taskName: Text = None,  # noqa: N803
    description: Text = None,
    status: Annotated[str | None, Query(max_length=20, examples=["EN OBSERVACION"]), NoNul] = None,
    startDate: Day = None,  # noqa: N803
    fromDate: Day = None,  # noqa: N803
    toDate: Day = None,  # noqa: N803
) -> list[SessionOut]:
    """Text filters are case-insensitive (`projectName`, `taskName`, `description` match a
    part); dates are local days in each session's zone. No match: an empty list."""
    filters = _filters(
        email=email, user_id=idUser, external_id=external_sesion_id, project_name=projectName,
        task_name=taskName, description=description, status=status, start_date=startDate,
        from_date=fromDate, to_date=toDate,
    )  # fmt: skip
    rows, total = await session_service.list_sessions(session, scope, filters, page)
    page.report(response, total)
    return [session_out(found) for found in rows]


@both_slashes(
    sessions, "POST", "/approve", summary="Approve or reject a session in review",
    response_model=SessionDecided,
    responses={**_NOT_FOUND, 409: {"description": "The session is not EN OBSERVACION"}},
)  # fmt: skip
async def approve_session(
    body: ApproveRequest,
    scope: Scope,
    session: DbSession,
    services: Services,
    externalSesionId: Annotated[  # noqa: N803 - the seed's query name
        str, Query(min_length=1, max_length=64, examples=["6260fee78065a229df4561dd"]), NoNul
    ],
) -> SessionDecided:
    """Approving makes the current times the valid ones; rejecting keeps the last accepted
    ones. Either holds until the next decision, whatever Clockify sends meanwhile. Recorded in
    the binnacle; the user and the coordinators are notified."""
    found = await session_service.decide(
        session, scope, services.settings, externalSesionId,
        approve=body.aprobado, observation=body.observacion,
    )  # fmt: skip
    verb = "aprobada" if body.aprobado else "reprobada"
    return with_message(found, SessionDecided, message=f"Sesión {verb} correctamente")


@both_slashes(
    binnacle, "GET", "/getAll/", summary="All binnacle entries", response_model=list[BinnacleOut]
)
async def get_all_binnacle(
    scope: Scope, session: DbSession, page: PageParams, response: Response
) -> list[BinnacleOut]:
    """Every audit entry you may see, newest first."""
    entries, total = await session_service.list_binnacle(session, scope, page)
    page.report(response, total)
    return [binnacle_out(found) for found in entries]


@both_slashes(
    binnacle, "GET", "/getById/{entry_id}", summary="One binnacle entry",
    response_model=BinnacleOut, responses=_NOT_FOUND,
)  # fmt: skip
async def get_binnacle_by_id(entry_id: IdPath, scope: Scope, session: DbSession) -> BinnacleOut:
    """The audit entry with this id: event, source, who, what changed, and a snapshot."""
    return binnacle_out(await session_service.get_binnacle_entry(session, scope, entry_id))


@both_slashes(
    binnacle, "GET", "/getByIdSession/{session_id}", summary="A session's binnacle",
    response_model=list[BinnacleOut], responses=_NOT_FOUND,
)  # fmt: skip
async def get_binnacle_by_session(
    session_id: IdPath, scope: Scope, session: DbSession, page: PageParams, response: Response
) -> list[BinnacleOut]:
    """Every change to one session, newest first: why it is in review, who approved it."""
    entries, total = await session_service.list_binnacle(
        session, scope, page, session_id=session_id
    )
    page.report(response, total)
    return [binnacle_out(found) for found in entries]


@both_slashes(
    binnacle, "GET", "/search/", summary="Search the binnacle (filters combine with AND)",
    response_model=list[BinnacleOut],
)  # fmt: skip
async def search_binnacle(
    scope: Scope,
    session: DbSession,
    page: PageParams,
    response: Response,
    email: Text = None,
    external_sesion_id: Text = None,
    projectName: Text = None,  # noqa: N803
    startDate: Day = None,  # noqa: N803
) -> list[BinnacleOut]:
    """By the user's email, the Clockify entry id, the project (part, any case) or the
    session's local day. No match: an empty list."""
    filters = _filters(
        email=email, external_id=external_sesion_id, project_name=projectName,
        start_date=startDate,
    )  # fmt: skip
    entries, total = await session_service.list_binnacle(session, scope, page, filters=filters)
    page.report(response, total)
    return [binnacle_out(found) for found in entries]


_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    403: {"description": "Your role in that organization is read-only"},
}


@both_slashes(
    sessions, "POST", "/create", summary="Create a session by hand",
    response_model=SessionCreated,
    status_code=201,
    responses={**_WRITE_ERRORS, 409: {"description": "external_sesion_id already exists"}},
)  # fmt: skip
async def create_session(
    body: SessionCreate, scope: Scope, session: DbSession, services: Services
) -> SessionCreated:
    """Entered by a coordinator: its times are accepted as the valid ones; recorded in the
    binnacle with you as the author."""
    found = await session_service.create_session(session, scope, services.settings, body)
    return with_message(found, SessionCreated, message="Session created", id=found.session.id)


@both_slashes(
    sessions, "PUT", "/update/{session_id}", summary="Correct a session",
    response_model=SessionUpdated, responses=_WRITE_ERRORS,
)  # fmt: skip
async def update_session(
    session_id: IdPath, body: SessionUpdate, scope: Scope, session: DbSession, services: Services
) -> SessionUpdated:
    """Only the fields sent change; corrected times become the valid ones. Counted as an
    edit and recorded in the binnacle. A later edit in Clockify supersedes it."""
    found = await session_service.update_session(
        session, scope, services.settings, session_id, body
    )
    return with_message(found, SessionUpdated, message="Session updated")


@both_slashes(
    sessions, "DELETE", "/delete/{session_id}", summary="Delete a session (soft)",
    response_model=SessionDeleted,
    responses={**_WRITE_ERRORS, 409: {"description": "Already deleted"}},
)  # fmt: skip
async def delete_session(session_id: IdPath, scope: Scope, session: DbSession) -> SessionDeleted:
    """Disabled with the time, never removed; later webhooks do not bring it back."""
    found = await session_service.delete_session(session, scope, session_id)
    return with_message(found, SessionDeleted, message="Session deleted")


@both_slashes(
    binnacle, "POST", "/create/", summary="Add a note to a session's binnacle",
    response_model=BinnacleOut, status_code=201, responses=_WRITE_ERRORS,
)  # fmt: skip
async def add_binnacle_note(body: BinnacleNote, scope: Scope, session: DbSession) -> BinnacleOut:
    """A coordinator's note, appended with you as the author; entries are never changed."""
    entry = await session_service.add_note(session, scope, body.idSesion, body.description)
    return binnacle_out(entry)
