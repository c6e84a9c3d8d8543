"""GET /api-clockify/webhook/test-email: the first implementation's SMTP check, now one row in
the email outbox that the real worker sends to the coordinators. Service token only."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from clockify_tracker.config import Settings
from clockify_tracker.kit.db import Database
from clockify_tracker.models import EmailMessage, Role
from tests.fixtures.smtp import ReceivedMail, SmtpServer
from tests.support.factories import create_account, create_organization, login
from tests.support.polling import eventually

PATH = "/api-clockify/webhook/test-email"
TOKEN = "test-secret-token-value"
COORDINATION = ["clockify@example.com", "coordinacion@example.com", "gerencia@example.com"]


async def email_rows(db: Database) -> int:
    async with db.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(EmailMessage)) or 0)


async def sent(db: Database, email_id: int) -> EmailMessage | None:
    async with db.unit_of_work() as session:
        row = await session.get(EmailMessage, email_id)
    return row if row is not None and row.status == "sent" else None


@pytest.mark.usefixtures("celery_worker")
async def test_the_worker_sends_it_to_the_coordinators(
    client: httpx.AsyncClient, db: Database, smtp_server: SmtpServer
) -> None:
    # The first implementation's header; Authorization works as on every other route.
    response = await client.get(PATH, headers={"X-Webhook-Token": TOKEN})

    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["message"] == "Correo de prueba en cola: el worker lo envía en instantes"
    [queued] = answer["emails"]
    assert queued["kind"] == "test"
    assert queued["status"] == "pending"
    assert queued["recipients"] == COORDINATION
    assert queued["subject"].startswith("Clockify - Correo de prueba - (")

    row = await eventually(lambda: sent(db, queued["idEmail"]))
    assert row.subject == queued["subject"]
    messages: list[ReceivedMail] = list(smtp_server.messages)
    [received] = [m for m in messages if m.message["Message-ID"] == row.message_id]
    assert sorted(received.rcpt_tos) == COORDINATION
    assert received.message["Subject"] == queued["subject"]
    assert received.message["From"] == "notificaciones@example.com"
    text = received.message.get_body(("plain",)).get_content()
    html = received.message.get_body(("html",)).get_content()
    assert "Este es un correo de prueba de clockify-tracker" in text
    assert "Solicitado por: Coordinación (API con token de servicio)" in text
    assert "Destinatarios: " + ", ".join(COORDINATION) in text
    assert "Correo de prueba de Clockify" in html


async def test_the_default_organizations_coordinator_accounts_get_it_too(
    client: httpx.AsyncClient, db: Database
) -> None:
    default = await create_organization(db, Settings().default_organization)
    await create_account(db, "coord@example.com", organization=default, role=Role.COORDINADOR)

    response = await client.get(PATH, headers={"Authorization": TOKEN})

    assert response.status_code == 202, response.text
    assert response.json()["emails"][0]["recipients"] == [*COORDINATION, "coord@example.com"]


async def test_only_the_service_token_may_send_it(client: httpx.AsyncClient, db: Database) -> None:
    acme = await create_organization(db, "Acme")
    await create_account(db, "admin@example.com", organization=acme, role=Role.ADMINISTRADOR)
    await create_account(db, "root@example.com", superadmin=True)

    nobody = await client.get(PATH)
    wrong = await client.get(PATH, headers={"X-Webhook-Token": "not-the-token"})
    assert (nobody.status_code, wrong.status_code) == (401, 401)
    for account in ("admin@example.com", "root@example.com"):
        assert (await login(client, account)).status_code == 200
        refused = await client.get(PATH)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "forbidden"
        client.cookies.clear()
    assert await email_rows(db) == 0, "nothing queued for a refused caller"


class TestWithoutCoordinationAddresses:
    @pytest.fixture
    def app_settings(self) -> Settings:
        return Settings(mail_recipient="", mail_recipients=[], mail_additional_recipients=[])

    async def test_it_is_409_naming_the_setting(
        self, client: httpx.AsyncClient, db: Database
    ) -> None:
        response = await client.get(PATH, headers={"Authorization": TOKEN})

        assert response.status_code == 409, response.text
        assert "MAIL_RECIPIENT" in response.json()["error"]
        assert await email_rows(db) == 0
