"""/api-clockify/emails: coordinators see the emails that could not be sent and retry one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from clockify_tracker.clockify.dependencies import Scope
from clockify_tracker.email import service
from clockify_tracker.email.schemas import EmailOut, email_out
from clockify_tracker.kit.pagination import PageParams
from clockify_tracker.kit.routing import both_slashes
from clockify_tracker.kit.validation import IdPath
from clockify_tracker.kit.web import DbSession

emails = APIRouter(prefix="/api-clockify/emails", tags=["emails"])

_RETRY_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Your role in the email's organization is read-only"},
    404: {"description": "No such email for you"},
    409: {"description": "The email is not failed (pending, being sent or already sent)"},
}


@both_slashes(
    emails, "GET", "/failed", summary="Emails that could not be sent",
    response_model=list[EmailOut],
)  # fmt: skip
async def list_failed_emails(
    scope: Scope, session: DbSession, page: PageParams, response: Response
) -> list[EmailOut]:
    """Newest first, with the SMTP server's last refusal: a 5xx reply, or retries used up."""
    rows, total = await service.list_failed(session, scope, page)
    page.report(response, total)
    return [email_out(row) for row in rows]


@both_slashes(
    emails, "POST", "/{email_id}/retry", summary="Send a failed email again",
    response_model=EmailOut, status_code=status.HTTP_202_ACCEPTED, responses=_RETRY_ERRORS,
)  # fmt: skip
async def retry_email(email_id: IdPath, scope: Scope, session: DbSession) -> EmailOut:
    """Back to `pending` with its whole retry budget; the worker sends it within moments."""
    return email_out(await service.retry_failed(session, scope, email_id))
