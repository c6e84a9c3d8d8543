"""/api-clockify/error-log: refused and failed requests, for coordinators to inspect."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from clockify_tracker.clockify import repository
from clockify_tracker.clockify.dependencies import Scope
from clockify_tracker.clockify.session_endpoints import Day
from clockify_tracker.clockify.session_service import parse_day
from clockify_tracker.exceptions import NotFoundError
from clockify_tracker.kit.pagination import PageParams
from clockify_tracker.kit.routing import both_slashes
from clockify_tracker.kit.validation import IdPath, NoNul
from clockify_tracker.kit.web import DbSession, Services
from clockify_tracker.models import ErrorLog

errors = APIRouter(prefix="/api-clockify/error-log", tags=["error log"])


class ErrorLogOut(BaseModel):
    idErrorLog: int = Field(examples=[7])  # noqa: N815
    endpoint: str = Field(examples=["/api-clockify/webhook/end"])
    method: str = Field(examples=["POST"])
    statusCode: int = Field(examples=[422])  # noqa: N815
    message: str = Field(examples=["No es una entrada de tiempo de Clockify: revisa timeInterval"])
    payload: str | None = Field(description="The raw body, for authenticated requests only")
    clientAddress: str | None = Field(examples=["18.157.52.94"])  # noqa: N815
    requestId: str | None = Field(examples=["5c4d657a552f413eaf0ab74e9e85c570"])  # noqa: N815
    createdAt: datetime  # noqa: N815


def _out(row: ErrorLog) -> ErrorLogOut:
    return ErrorLogOut(
        idErrorLog=row.id,
        endpoint=row.endpoint,
        method=row.method,
        statusCode=row.status_code,
        message=row.message,
        payload=row.raw_body,
        clientAddress=row.client_address,
        requestId=row.request_id,
        createdAt=row.created_at,
    )


@both_slashes(
    errors, "GET", "/", summary="Refused and failed requests", response_model=list[ErrorLogOut]
)
async def list_errors(
    scope: Scope,
    session: DbSession,
    services: Services,
    page: PageParams,
    response: Response,
    fromDate: Day = None,  # noqa: N803
    toDate: Day = None,  # noqa: N803
    endpoint: Annotated[
        str | None,
        Query(max_length=200, examples=["webhook"], description="Part of the path"),
        NoNul,
    ] = None,
    statusCode: Annotated[int | None, Query(ge=100, le=599, examples=[422])] = None,  # noqa: N803
) -> list[ErrorLogOut]:
    """Newest first. Dates are days in APP_TIMEZONE; `endpoint` matches a part of the path."""
    zone = services.settings.timezone
    first, last = parse_day(fromDate, "fromDate"), parse_day(toDate, "toDate")
    since = datetime.combine(first, time(), zone) if first else None
    until = datetime.combine(last + timedelta(days=1), time(), zone) if last else None
    rows, total = await repository.list_errors(
        session, scope.readable, since=since, until=until, endpoint=endpoint,
        status_code=statusCode, limit=page.limit, offset=page.offset,
    )  # fmt: skip
    page.report(response, total)
    return [_out(row) for row in rows]


_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such entry for you"}}


@both_slashes(
    errors, "GET", "/{error_id}", summary="One error entry",
    response_model=ErrorLogOut, responses=_NOT_FOUND,
)  # fmt: skip
async def get_error(error_id: IdPath, scope: Scope, session: DbSession) -> ErrorLogOut:
    """The whole entry, with the raw body when the request was authenticated."""
    row = await repository.get_error(session, scope.readable, error_id)
    if row is None:
        raise NotFoundError("Entrada no encontrada")
    return _out(row)
