"""Email delivery through the real worker and a real SMTP server: once, retried, or failed."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from clockify_tracker.config import Settings
from clockify_tracker.email import service
from clockify_tracker.kit.celery_app import create_celery_app
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.outbox import CeleryPublisher, OutboxDispatcher
from clockify_tracker.models import EmailMessage
from clockify_tracker.storage import service as storage
from tests.fixtures.smtp import SmtpServer
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("celery_worker")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def enqueue(
    db: Database,
    subject: str = "Sesión iniciada",
    *,
    signal: bool = True,
    attachment: bytes | None = None,
) -> EmailMessage:
    dispatcher = OutboxDispatcher(db, CeleryPublisher(create_celery_app(Settings())))
    async with db.unit_of_work() as session:
        file_ids = []
        if attachment is not None:
            stored = await storage.save(
                session, filename="reporte_José Pérez_2026-11-01.xlsx", content=attachment,
                content_type=XLSX, organization_id=None,
            )  # fmt: skip
            file_ids.append(stored.id)
        email = await service.enqueue(
            session, kind="started", recipients=["coordinacion@example.com", "ana@example.com"],
            subject=subject, text_body="Hola", html_body="<p>Hola</p>", attachment_ids=file_ids,
        )  # fmt: skip
    if signal:
        await dispatcher.hand_over(session)
    await dispatcher.aclose()
    return email


async def row(db: Database, email_id: int) -> EmailMessage:
    async with db.unit_of_work() as session:
        found = await session.scalar(select(EmailMessage).where(EmailMessage.id == email_id))
    assert found is not None
    return found


async def settled(db: Database, email_id: int, status: str) -> EmailMessage | None:
    found = await row(db, email_id)
    return found if found.status == status else None


async def test_an_email_is_sent_once_with_its_stable_message_id(
    db: Database, smtp_server: SmtpServer
) -> None:
    email = await enqueue(db)

    sent = await eventually(lambda: settled(db, email.id, "sent"))
    assert sent.sent_at is not None
    assert sent.attempts == 1
    await asyncio.sleep(1.5)  # the sweeper had its chances to send it again
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received.message["Message-ID"] == email.message_id
    assert sorted(received.rcpt_tos) == ["ana@example.com", "coordinacion@example.com"]
    assert received.message["Auto-Submitted"] == "auto-generated"
    assert received.message.get_body(("plain",)).get_content().strip() == "Hola"
    assert received.message.get_body(("html",)).get_content().strip() == "<p>Hola</p>"


async def test_an_attachment_by_reference_arrives_with_its_bytes_and_a_safe_name(
    db: Database, smtp_server: SmtpServer
) -> None:
    workbook = bytes(range(256)) * 40
    email = await enqueue(db, attachment=workbook)
    assert len(email.attachments) == 1
    assert set(email.attachments[0]) == {"file_id"}, "referenced, not copied"

    await eventually(lambda: settled(db, email.id, "sent"))
    (attachment,) = list(smtp_server.messages[0].message.iter_attachments())
    assert attachment.get_filename() == "reporte_Jose_Perez_2026-11-01.xlsx"
    assert attachment.get_content_type() == XLSX
    assert attachment.get_content() == workbook


async def test_a_451_twice_then_accepted_is_delivered_exactly_once(
    db: Database, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.refusals.extend(["451 4.3.0 Try again later", "451 4.3.0 Try again later"])
    email = await enqueue(db)

    sent = await eventually(lambda: settled(db, email.id, "sent"))
    assert sent.attempts == 3
    await asyncio.sleep(1.5)
    assert len(smtp_server.messages) == 1


async def test_a_550_fails_at_once_and_stays_visible(db: Database, smtp_server: SmtpServer) -> None:
    smtp_server.handler.refusals.append("550 5.1.1 No such mailbox")
    email = await enqueue(db)

    failed = await eventually(lambda: settled(db, email.id, "failed"))
    assert failed.attempts == 1
    assert failed.last_error is not None
    assert "550" in failed.last_error
    assert smtp_server.messages == []


async def test_racing_senders_deliver_it_once(db: Database, smtp_server: SmtpServer) -> None:
    """The worker's sweeper and three in-process senders all try the same row at once."""
    email = await enqueue(db, signal=False)
    smtp = Settings(mail_server=smtp_server.host, mail_port=smtp_server.port, mail_use_tls=False)
    outcomes = await asyncio.gather(*(service.deliver(db, smtp, email.id) for _ in range(3)))
    await eventually(lambda: settled(db, email.id, "sent"))
    await asyncio.sleep(1.5)
    assert outcomes.count("sent") <= 1
    assert set(outcomes) <= {"sent", "skipped"}, "a racing sender skips, it does not fail"
    assert len(smtp_server.messages) == 1
