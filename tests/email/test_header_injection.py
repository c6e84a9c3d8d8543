"""A name with a line break cannot inject a header, and a message that cannot be built ends
`failed` with its error instead of staying `sending` forever (worker, SMTP server and API real)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from clockify_tracker.config import Settings
from clockify_tracker.email import service
from clockify_tracker.kit.celery_app import create_celery_app
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.outbox import CeleryPublisher, OutboxDispatcher, signal_after_commit
from clockify_tracker.kit.text import single_line
from clockify_tracker.kit.time import utcnow
from clockify_tracker.models import ClockifySession, ClockifyUser, EmailMessage
from tests.email.test_delivery import row, settled
from tests.fixtures.smtp import ReceivedMail, SmtpServer
from tests.support.clockify import entry, send
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("celery_worker")

SERVICE = {"X-Webhook-Token": "test-secret-token-value"}
COORDINATION = ["clockify@example.com", "coordinacion@example.com", "gerencia@example.com"]
HOSTILE_NAME = "Eve\r\nBcc: x@evil"


def test_single_line_collapses_every_line_break_and_control_character() -> None:
    assert single_line(HOSTILE_NAME) == "Eve Bcc: x@evil"
    assert single_line("Ana\u2028Pérez\x85\x0b\x1c\tGómez\x00") == "Ana Pérez Gómez"
    assert single_line("  Ana Pérez  ") == "  Ana Pérez  ", "clean text is left as it is"
    assert len(single_line("a\nb\r\nc\u2029d").splitlines()) == 1


async def delivered(smtp: SmtpServer, count: int) -> list[ReceivedMail] | None:
    return list(smtp.messages) if len(smtp.messages) >= count else None


async def test_a_user_name_with_a_line_break_arrives_as_a_one_line_subject_and_no_bcc(
    client: httpx.AsyncClient, db: Database, smtp_server: SmtpServer
) -> None:
    body = entry("6650aa00aa00aa00aa0f0001", start="2026-11-03T05:30:00Z",
                 end="2026-11-03T07:35:00Z", duration="PT2H5M")  # fmt: skip
    body["user"]["name"] = HOSTILE_NAME
    body["project"]["name"] = "Formación\r\nX-Injected: yes"
    assert (await send(client, "end", body)).status_code == 202

    (received,) = await eventually(lambda: delivered(smtp_server, 1))
    await asyncio.sleep(1.5)  # nothing else goes out (no injected recipient, no resend)
    assert len(smtp_server.messages) == 1
    assert sorted(received.rcpt_tos) == COORDINATION, "no extra recipient"
    message = received.message
    subject = "Clockify - Sesión finalizada - Eve Bcc: x@evil - (2026-11-02 23:30)"
    assert message["Subject"] == subject
    assert message["Bcc"] is None
    assert message["X-Injected"] is None
    assert "x@evil" not in message["To"]
    async with db.unit_of_work() as session:
        user = await session.scalar(
            select(ClockifyUser).where(ClockifyUser.external_id == body["user"]["id"])
        )
        stored = await session.scalar(
            select(ClockifySession).where(ClockifySession.external_id == body["id"])
        )
        (email,) = await session.scalars(select(EmailMessage))
    assert user is not None
    assert user.name == "Eve Bcc: x@evil"
    assert stored is not None
    assert stored.project_name == "Formación X-Injected: yes"
    assert email.status == "sent"
    assert email.attempts == 1


async def test_a_name_from_the_api_is_stored_as_one_line(
    client: httpx.AsyncClient, db: Database
) -> None:
    created = await client.post(
        "/api-clockify/users/create/", headers=SERVICE,
        json={"ExternalUserId": "U-eve", "name": HOSTILE_NAME},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "Eve Bcc: x@evil"
    updated = await client.put(
        "/api-clockify/users/update/U-eve", headers=SERVICE, json={"name": "Eve\nSmith"}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Eve Smith"


async def insert_old_row(db: Database, subject: str, **overrides: object) -> int:
    """A row as one written before names were cleaned: straight into the table, past
    `enqueue` and the templates, then signalled like every email."""
    dispatcher = OutboxDispatcher(db, CeleryPublisher(create_celery_app(Settings())))
    async with db.unit_of_work() as session:
        email = EmailMessage(
            kind="started", recipients=["coordinacion@example.com"], subject=subject,
            text_body="Hola", html_body=None,
            message_id=f"<{uuid.uuid4().hex}@clockify-tracker>", **overrides,
        )  # fmt: skip
        session.add(email)
        await session.flush()
        email_id = email.id
        signal_after_commit(session, service.SEND_TASK, email_id)
    await dispatcher.hand_over(session)
    await dispatcher.aclose()
    return email_id


async def test_a_message_that_cannot_be_built_fails_with_its_error_and_is_listed(
    client: httpx.AsyncClient, db: Database, smtp_server: SmtpServer
) -> None:
    email_id = await insert_old_row(db, f"Clockify - Sesión iniciada - {HOSTILE_NAME} - (x)")

    failed = await eventually(lambda: settled(db, email_id, "failed"))
    assert failed.attempts == 1, "a message that cannot be built is not worth retrying"
    assert failed.last_error is not None
    assert "no se pudo construir" in failed.last_error
    assert "linefeed" in failed.last_error
    await asyncio.sleep(2.5)  # several sweeps: it is not claimed again
    again = await row(db, email_id)
    assert (again.status, again.attempts) == ("failed", 1)
    assert smtp_server.messages == []

    listed = await client.get("/api-clockify/emails/failed", headers=SERVICE)
    assert listed.status_code == 200
    (shown,) = listed.json()
    assert shown["idEmail"] == email_id
    assert "linefeed" in shown["lastError"]

    # A retry has the same outcome, at once, with a fresh count: still no loop.
    retried = await client.post(f"/api-clockify/emails/{email_id}/retry", headers=SERVICE)
    assert retried.status_code == 202, retried.text
    await asyncio.sleep(0.5)
    refailed = await eventually(lambda: settled(db, email_id, "failed"))
    assert refailed.attempts == 1
    assert smtp_server.messages == []


async def test_a_row_whose_attempts_never_reported_back_ends_failed_after_the_budget(
    client: httpx.AsyncClient, db: Database, smtp_server: SmtpServer
) -> None:
    """As a worker killed mid-send every time leaves it: `sending`, its lease run out, and
    already EMAIL_MAX_RETRIES + 1 attempts counted. It is failed, not sent once more."""
    budget = Settings().email_max_retries + 1
    email_id = await insert_old_row(
        db, "Clockify - Sesión iniciada - Ana", status="sending", attempts=budget,
        lease_until=utcnow() - timedelta(seconds=5),
    )  # fmt: skip

    failed = await eventually(lambda: settled(db, email_id, "failed"))
    assert failed.attempts == budget + 1
    assert failed.last_error is not None
    assert "interrumpidos" in failed.last_error
    assert smtp_server.messages == []
    listed = await client.get("/api-clockify/emails/failed", headers=SERVICE)
    assert [e["idEmail"] for e in listed.json()] == [email_id]
