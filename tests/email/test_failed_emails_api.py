"""/api-clockify/emails: a coordinator sees the emails that failed and sends one again."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from clockify_tracker.kit.db import Database
from clockify_tracker.models import EmailMessage, Organization, Role
from tests.email.test_delivery import enqueue, settled
from tests.fixtures.smtp import SmtpServer
from tests.support.factories import create_account, create_organization, login
from tests.support.polling import eventually

SERVICE = {"X-Webhook-Token": "test-secret-token-value"}


async def failed_email(db: Database, organization: Organization | None = None) -> int:
    """A row as the worker leaves it after a 550, written directly (no worker needed)."""
    async with db.unit_of_work() as session:
        email = EmailMessage(
            organization_id=organization.id if organization else None, kind="review",
            recipients=["coordinacion@example.com"], subject="Clockify - ALERTA",
            text_body="Hola", html_body=None, message_id="<failed-1@clockify-tracker>",
            status="failed", attempts=1, last_error="550 5.1.1 No such mailbox",
        )  # fmt: skip
        session.add(email)
        await session.flush()
        return email.id


@pytest.mark.usefixtures("celery_worker")
async def test_a_refused_email_is_listed_retried_and_then_delivered_once(
    client: httpx.AsyncClient, db: Database, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.refusals.append("550 5.1.1 No such mailbox")
    email = await enqueue(db)
    await eventually(lambda: settled(db, email.id, "failed"))

    listed = await client.get("/api-clockify/emails/failed", headers=SERVICE)
    assert listed.status_code == 200
    assert listed.headers["x-total-count"] == "1"
    (shown,) = listed.json()
    assert shown["idEmail"] == email.id
    assert shown["status"] == "failed"
    assert shown["lastError"].startswith("550")
    assert shown["recipients"] == ["coordinacion@example.com", "ana@example.com"]
    assert "Hola" not in listed.text, "bodies are not listed"

    retried = await client.post(f"/api-clockify/emails/{email.id}/retry", headers=SERVICE)
    assert retried.status_code == 202, retried.text
    assert retried.json()["status"] == "pending"
    assert retried.json()["attempts"] == 0

    sent = await eventually(lambda: settled(db, email.id, "sent"))
    assert sent.attempts == 1
    assert [m.message["Message-ID"] for m in smtp_server.messages] == [email.message_id]
    after = await client.get("/api-clockify/emails/failed/", headers=SERVICE)
    assert after.json() == []
    assert after.headers["x-total-count"] == "0"


async def test_only_a_failed_email_can_be_retried_and_only_once(
    client: httpx.AsyncClient, db: Database
) -> None:
    email_id = await failed_email(db)

    first = await client.post(f"/api-clockify/emails/{email_id}/retry", headers=SERVICE)
    again = await client.post(f"/api-clockify/emails/{email_id}/retry/", headers=SERVICE)
    missing = await client.post("/api-clockify/emails/999999/retry", headers=SERVICE)

    assert first.status_code == 202
    assert again.status_code == 409
    assert "pending" in again.json()["error"]
    assert missing.status_code == 404
    assert missing.json()["error"] == "Correo no encontrado"
    async with db.unit_of_work() as session:
        row = await session.scalar(select(EmailMessage).where(EmailMessage.id == email_id))
    assert row is not None
    assert row.last_error == "550 5.1.1 No such mailbox", "the refusal stays until it is sent"


async def test_a_read_only_role_lists_but_cannot_retry(
    client: httpx.AsyncClient, db: Database
) -> None:
    organization = await create_organization(db, "Alfa Industrias")
    await create_account(db, "conta@example.com", organization=organization, role=Role.CONTADOR)
    email_id = await failed_email(db, organization)
    assert (await login(client, "conta@example.com")).status_code == 200

    listed = await client.get("/api-clockify/emails/failed")
    refused = await client.post(f"/api-clockify/emails/{email_id}/retry")

    assert [e["idEmail"] for e in listed.json()] == [email_id]
    assert refused.status_code == 403
    assert refused.json()["error"] == "Tu rol en esta organización es de solo lectura"


async def test_emails_of_no_organization_are_for_the_service_token_only(
    client: httpx.AsyncClient, db: Database
) -> None:
    organization = await create_organization(db, "Alfa Industrias")
    await create_account(db, "coord@example.com", organization=organization,
                         role=Role.COORDINADOR)  # fmt: skip
    email_id = await failed_email(db)
    assert (await login(client, "coord@example.com")).status_code == 200

    assert (await client.get("/api-clockify/emails/failed")).json() == []
    assert (await client.post(f"/api-clockify/emails/{email_id}/retry")).status_code == 404
    assert (await client.get("/api-clockify/emails/failed", headers=SERVICE)).json() != []


async def test_the_routes_need_a_caller(client: httpx.AsyncClient, db: Database) -> None:
    assert (await client.get("/api-clockify/emails/failed")).status_code == 401
    assert (await client.post("/api-clockify/emails/1/retry")).status_code == 401
