"""/api-clockify/session-report: reports by email, built by the worker; status and download."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response, status

from clockify_tracker.clockify.dependencies import Scope
from clockify_tracker.exceptions import UnprocessableError
from clockify_tracker.kit.routing import both_slashes
from clockify_tracker.kit.validation import IdPath
from clockify_tracker.kit.web import DbSession, Services
from clockify_tracker.report import service
from clockify_tracker.report.schemas import (
    ReportAccepted,
    ReportOut,
    SendAllReportsRequest,
    UserReportRequest,
    accepted,
    report_out,
)

reports = APIRouter(prefix="/api-clockify/session-report", tags=["reports"])
# The seed README also shows this path for sendAllReports; existing clients may use it.
legacy_reports = APIRouter(prefix="/api-clockify/session-binnacle/reports", tags=["reports"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such report for you"}}


async def send_all_reports(
    body: SendAllReportsRequest, scope: Scope, session: DbSession, services: Services
) -> ReportAccepted:
    """Weekly or monthly reports of every user, and the coordinators' workbook, by email.
    Answers at once with the report's id; the worker builds and sends it."""
    today = datetime.now(services.settings.timezone).date()
    period = service.requested_period(
        body.type, today, month=body.month, year=body.year, start_date=body.start_date
    )
    jobs = await service.request_periodic(session, scope, services.settings, period)
    if not jobs:
        raise UnprocessableError("No hay organizaciones que reportar")
    return accepted(jobs, body.type)


_SEND_ALL = {
    "summary": "Send the weekly or monthly reports now",
    "response_model": ReportAccepted,
    "status_code": status.HTTP_202_ACCEPTED,
}
both_slashes(reports, "POST", "/sendAllReports", **_SEND_ALL)(send_all_reports)
both_slashes(
    legacy_reports, "POST", "/sendAllReports",
    **{**_SEND_ALL, "summary": "Send the weekly or monthly reports now (seed's older path)"},
)(send_all_reports)  # fmt: skip


@both_slashes(
    reports, "POST", "/user", summary="One user's report of any range, by email",
    response_model=ReportAccepted, status_code=status.HTTP_202_ACCEPTED, responses=_NOT_FOUND,
)  # fmt: skip
async def send_user_report(
    body: UserReportRequest, scope: Scope, session: DbSession, services: Services
) -> ReportAccepted:
    """At most REPORT_MAX_DAYS (366) days, to the user's address, yours or a coordinator's."""
    job = await service.request_custom(
        session, scope, services.settings, user_id=body.idUser, first_day=body.startDate,
        last_day=body.endDate, email_to=str(body.emailToSend),
    )  # fmt: skip
    return accepted([job], "custom")


@both_slashes(
    reports, "GET", "/{report_id}", summary="A report's status",
    response_model=ReportOut, responses=_NOT_FOUND,
)  # fmt: skip
async def get_report(report_id: IdPath, scope: Scope, session: DbSession) -> ReportOut:
    """pending, running, done (with its download link) or failed (with the error)."""
    return report_out(await service.get_job(session, scope, report_id))


@both_slashes(
    reports, "GET", "/{report_id}/download", summary="Download a finished report's workbook",
    response_class=Response,
    responses={
        200: {
            "content": {service.XLSX: {"schema": {"type": "string", "format": "binary"}}},
            "description": "The .xlsx workbook",
        },
        **_NOT_FOUND,
    },
)  # fmt: skip
async def download_report(report_id: IdPath, scope: Scope, session: DbSession) -> Response:
    """The coordinators' workbook (a sheet per user and a summary) or the custom report."""
    filename, content = await service.download(session, scope, report_id)
    return Response(
        content,
        media_type=service.XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
