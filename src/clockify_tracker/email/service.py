"""Email delivery: rows written with the change that causes them, sent once by the worker."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.config import Settings
from clockify_tracker.email import repository
from clockify_tracker.email.content import smtp_test
from clockify_tracker.email.sender import (
    Attachment,
    MessageBuildError,
    Outgoing,
    PermanentSmtpError,
    TransientSmtpError,
    send,
)
from clockify_tracker.exceptions import ConflictError, NotFoundError
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.logging import redact
from clockify_tracker.kit.outbox import signal_after_commit
from clockify_tracker.kit.text import single_line
from clockify_tracker.kit.time import utcnow
from clockify_tracker.models import EmailMessage
from clockify_tracker.organization import service as organization_service
from clockify_tracker.storage import service as storage

if TYPE_CHECKING:
    from clockify_tracker.clockify.dependencies import ClockifyScope
    from clockify_tracker.kit.pagination import Page

log = logging.getLogger(__name__)

SEND_TASK = "email.send_emails"


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    recipients: list[str],
    subject: str,
    text_body: str,
    html_body: str | None = None,
    organization_id: int | None = None,
    attachment_ids: list[int] | None = None,
) -> EmailMessage:
    """Write the email in the caller's transaction; after commit the worker is signalled.
    Attachments are stored files, referenced by id: the row never carries their bytes.
    The subject is stored as one line, whoever composed it."""
    unique = list(dict.fromkeys(address.strip() for address in recipients if address.strip()))
    email = EmailMessage(
        organization_id=organization_id,
        kind=kind,
        recipients=unique,
        subject=single_line(subject),
        text_body=text_body,
        html_body=html_body,
        message_id=f"<{uuid.uuid4().hex}@clockify-tracker>",
        attachments=[{"file_id": file_id} for file_id in attachment_ids or []],
    )
    session.add(email)
    await session.flush()
    signal_after_commit(session, SEND_TASK, email.id)
    return email


async def queue_test_email(
    session: AsyncSession, settings: Settings, *, requested_by: str
) -> EmailMessage:
    """One test message to the coordinators of the default organization (MAIL_RECIPIENT,
    MAIL_RECIPIENTS and its coordinator accounts), queued like every email: the worker sends
    it after commit, so receiving it proves the whole path, worker and SMTP included."""
    try:
        organization = await organization_service.find_organization(
            session, settings.default_organization
        )
    except NotFoundError:
        organization = None  # no webhook has arrived yet: only the configured addresses
    if organization is None:
        recipients = settings.coordinator_recipients
    else:
        recipients = await organization_service.coordinator_recipients(
            session, organization.id,
            configured=settings.coordinator_recipients,
            default_organization=settings.default_organization,
        )  # fmt: skip
    if not recipients:
        raise ConflictError(
            "No hay destinatarios de coordinación: configura MAIL_RECIPIENT o MAIL_RECIPIENTS",
            field="MAIL_RECIPIENT",
        )
    security = "sin TLS"
    if settings.mail_use_ssl or settings.mail_use_tls:
        security = "SSL" if settings.mail_use_ssl else "STARTTLS"
    content = smtp_test(
        requested_by=requested_by, requested_at=utcnow(), zone=settings.timezone,
        server=f"{settings.mail_server}:{settings.mail_port} ({security})",
        sender=settings.mail_default_sender, recipients=recipients,
    )  # fmt: skip
    return await enqueue(
        session, kind="test", recipients=recipients, subject=content.subject,
        text_body=content.text, html_body=content.html,
        organization_id=organization.id if organization is not None else None,
    )  # fmt: skip


async def deliver(database: Database, settings: Settings, email_id: int) -> str:
    """Claim, send outside any transaction, record. Returns what happened. Whatever goes wrong
    after the claim is counted as an attempt and recorded on the row (`last_error`), and the
    row ends `sent`, `pending` (a retry is due) or `failed`: never left `sending` to be
    claimed again uncounted."""
    async with database.unit_of_work() as session:
        email = await repository.claim(
            session, email_id, lease=timedelta(seconds=settings.email_lease_seconds)
        )
        if email is None:
            return "skipped"
        attempts = email.attempts
        if attempts > settings.email_max_retries + 1:
            # Earlier attempts never reported back (a worker killed while sending, every
            # time): the budget is spent all the same. It may have gone out; the same
            # Message-ID would tell, but sending it again and again would not help.
            error = f"{attempts - 1} intentos sin respuesta del worker (interrumpidos)"
            await repository.mark_failed(session, email_id, error)
            log.warning("email %s failed for good: %s", email_id, error)
            return "failed"
        files = await storage.load(session, [item["file_id"] for item in email.attachments])
        outgoing = Outgoing(
            email.message_id,
            list(email.recipients),
            email.subject,
            email.text_body,
            email.html_body,
            tuple(Attachment(f.filename, f.content_type, f.content) for f in files),
        )
    try:
        await send(outgoing, settings)
    except (MessageBuildError, PermanentSmtpError) as exc:
        # Sending the same row again would fail the same way.
        return await _finish(database, email_id, "failed", str(exc))
    except TransientSmtpError as exc:
        return await _retry_or_fail(database, settings, email_id, attempts, str(exc))
    except Exception as exc:  # a bug of ours: counted like a transient failure
        log.exception("email %s: unexpected error while sending", email_id)
        error = f"{type(exc).__name__}: {exc}"
        return await _retry_or_fail(database, settings, email_id, attempts, error)
    # Accepted by the server: only now is it sent. A crash before this commit resends it with
    # the same Message-ID, which the receiving side can recognise.
    async with database.unit_of_work() as session:
        await repository.mark_sent(session, email_id)
    return "sent"


async def _retry_or_fail(
    database: Database, settings: Settings, email_id: int, attempts: int, error: str
) -> str:
    if attempts > settings.email_max_retries:
        return await _finish(database, email_id, "failed", error)
    delay = settings.email_retry_delay * 2 ** (attempts - 1)
    async with database.unit_of_work() as session:
        await repository.schedule_retry(session, email_id, delay, redact(error)[:1000])
    log.warning("email %s: retry in %.1fs (%s)", email_id, delay, redact(error))
    return "retry"


async def _finish(database: Database, email_id: int, status: str, error: str) -> str:
    async with database.unit_of_work() as session:
        await repository.mark_failed(session, email_id, redact(error)[:1000])
    log.warning("email %s failed for good: %s", email_id, redact(error))
    return status


async def due(database: Database) -> list[int]:
    async with database.unit_of_work() as session:
        return await repository.due_ids(session)


async def list_failed(
    session: AsyncSession, scope: ClockifyScope, page: Page
) -> tuple[list[EmailMessage], int]:
    """Emails that will not be sent unless someone retries them, newest first."""
    return await repository.list_failed(
        session, scope.readable, limit=page.limit, offset=page.offset
    )


async def retry_failed(session: AsyncSession, scope: ClockifyScope, email_id: int) -> EmailMessage:
    """Back to pending with the whole retry budget; the worker is signalled after commit."""
    email = await repository.get(session, scope.readable, email_id)
    if email is None:
        raise NotFoundError("Correo no encontrado")
    if email.organization_id is not None:
        scope.check_write(email.organization_id)
    if email.status != "failed":
        raise ConflictError(
            f"Solo se reintenta un correo fallido; este está en estado '{email.status}'"
        )
    reset = await repository.reset_failed(session, email_id)
    if reset is None:
        raise ConflictError("Otra persona ya reintentó este correo")
    signal_after_commit(session, SEND_TASK, email_id)
    log.info("email %s: retry requested by %s", email_id, scope.actor)
    return reset
