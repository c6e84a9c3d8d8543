"""/api-clockify/emails: coordinators see the emails that could not be sent and retry one.
/api-clockify/webhook/test-email: the first implementation's SMTP check, for the service token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from clockify_tracker.clockify.dependencies import Scope, ServiceToken
from clockify_tracker.email import service
from clockify_tracker.email.schemas import EmailOut, TestEmailQueued, email_out
from clockify_tracker.kit.pagination import PageParams
from clockify_tracker.kit.routing import both_slashes
from clockify_tracker.kit.validation import IdPath
from clockify_tracker.kit.web import DbSession, Services

emails = APIRouter(prefix="/api-clockify/emails", tags=["emails"])
# The first implementation's path, next to the webhooks it was written for.
test_email = APIRouter(prefix="/api-clockify/webhook", tags=["emails"])

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


@test_email.get(
    "/test-email", summary="Send a test email to the coordinators",
    response_model=TestEmailQueued, status_code=status.HTTP_202_ACCEPTED,
    responses={
        401: {"description": "No service token"},
        403: {"description": "An account, not the service token"},
        409: {"description": "No coordination recipient configured (MAIL_RECIPIENT)"},
    },
)  # fmt: skip
async def send_test_email(
    _: ServiceToken, session: DbSession, services: Services
) -> TestEmailQueued:
    """Queues one message to the coordinators, sent by the worker like every email: receiving
    it proves SMTP settings, worker and queue at once. Service token only."""
    queued = await service.queue_test_email(
        session, services.settings, requested_by="token:SECRET_TOKEN"
    )
    return TestEmailQueued(
        message="Correo de prueba en cola: el worker lo envía en instantes",
        emails=[email_out(queued)],
    )
