"""Periodic reports, asked for or scheduled, skip a user's address a coordinator changed
recently until an administrator confirms it; the coordinators' workbook still has the user
(real worker, real SMTP server)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from clockify_tracker.config import Settings
from clockify_tracker.kit.celery_app import create_celery_app
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.outbox import CeleryPublisher, OutboxDispatcher
from clockify_tracker.models import ClockifyUser, Role
from clockify_tracker.report.service import schedule_due
from tests.fixtures.smtp import ReceivedMail, SmtpServer
from tests.support.factories import create_account, create_organization, login
from tests.support.polling import eventually
from tests.support.reports import create_session, create_user, utc

pytestmark = pytest.mark.usefixtures("celery_worker")

SERVICE = {"X-Webhook-Token": "test-secret-token-value"}
ADMIN, COORDINATOR = "admin@acme.example", "coord@acme.example"
OUTSIDE = "eve@outside.example"
MONDAY_MORNING = datetime(2026, 12, 7, 7, 30, tzinfo=ZoneInfo("America/Mexico_City"))


async def acme(db: Database) -> tuple[ClockifyUser, ClockifyUser]:
    """Ana and Luis, both with an email and a session in November and in the week of 30/11."""
    organization = await create_organization(db, "Acme")
    await create_account(db, ADMIN, organization=organization, role=Role.ADMINISTRADOR)
    await create_account(db, COORDINATOR, organization=organization, role=Role.COORDINADOR)
    ana = await create_user(db, organization, "Ana Pérez", email="ana@example.com")
    luis = await create_user(db, organization, "Luis Gómez", email="luis@example.com")
    for user in (ana, luis):
        await create_session(db, user, utc("2026-11-10T15:00:00Z"), utc("2026-11-10T17:00:00Z"))
        await create_session(db, user, utc("2026-12-01T15:00:00Z"), utc("2026-12-01T17:00:00Z"))
    return ana, luis


async def finished(client: httpx.AsyncClient, report_id: int) -> dict[str, Any] | None:
    body: dict[str, Any] = (
        await client.get(f"/api-clockify/session-report/{report_id}", headers=SERVICE)
    ).json()
    assert body["status"] != "failed", body
    return body if body["status"] == "done" else None


async def reports(smtp: SmtpServer, count: int) -> list[ReceivedMail] | None:
    found = [m for m in smtp.messages if m.message["Subject"].startswith("Reporte")]
    return found if len(found) >= count else None


async def coordinator_rewrites(client: httpx.AsyncClient, user: ClockifyUser) -> None:
    assert (await login(client, COORDINATOR)).status_code == 200
    response = await client.put(
        f"/api-clockify/users/update/{user.external_id}", json={"email": OUTSIDE}
    )
    assert response.status_code == 200, response.text


async def send_all(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post(
        "/api-clockify/session-report/sendAllReports", json={"type": "monthly", "month": 11}
    )
    assert response.status_code == 202, response.text
    (report,) = response.json()["reports"]
    return await eventually(lambda: finished(client, report["idReporte"]), within=30)


async def test_send_all_skips_a_held_address_until_an_administrator_confirms_it(
    client: httpx.AsyncClient, db: Database, smtp_server: SmtpServer
) -> None:
    ana, _ = await acme(db)
    await coordinator_rewrites(client, ana)

    done = await send_all(client)

    assert done["summary"] == {"users": 2, "sessions": 2, "emails": 2, "withheld": 1}
    sent = await eventually(lambda: reports(smtp_server, 2))
    await asyncio.sleep(1.5)
    assert sorted(tuple(m.rcpt_tos) for m in sent) == [
        (COORDINATOR,), ("luis@example.com",),
    ], "the coordinators' workbook and Luis's; nothing to the rewritten address"  # fmt: skip
    assert all(OUTSIDE not in m.rcpt_tos for m in smtp_server.messages)

    assert (await login(client, ADMIN)).status_code == 200
    confirmed = await client.post(
        f"/api-clockify/users/confirmEmail/{ana.external_id}", json={"email": OUTSIDE}
    )
    assert confirmed.status_code == 200, confirmed.text
    smtp_server.messages.clear()
    done = await send_all(client)

    assert done["summary"] == {"users": 2, "sessions": 2, "emails": 3}
    sent = await eventually(lambda: reports(smtp_server, 3))
    assert (OUTSIDE,) in {tuple(m.rcpt_tos) for m in sent}, "confirmed: it goes there now"


async def test_a_scheduled_report_skips_a_held_address(
    db: Database, client: httpx.AsyncClient, smtp_server: SmtpServer
) -> None:
    ana, _ = await acme(db)
    await coordinator_rewrites(client, ana)

    dispatcher = OutboxDispatcher(db, CeleryPublisher(create_celery_app(Settings())))
    async with db.unit_of_work() as session:
        (job_id,) = await schedule_due(
            session, Settings(reports_schedule_enabled=True), MONDAY_MORNING
        )
    await dispatcher.hand_over(session)
    await dispatcher.aclose()

    done = await eventually(lambda: finished(client, job_id), within=30)
    assert (done["type"], done["startDate"]) == ("weekly", "2026-11-30")
    assert done["summary"]["withheld"] == 1
    sent = await eventually(lambda: reports(smtp_server, 2))
    await asyncio.sleep(1.5)
    assert sorted(tuple(m.rcpt_tos) for m in sent) == [(COORDINATOR,), ("luis@example.com",)]
    assert all(OUTSIDE not in m.rcpt_tos for m in smtp_server.messages)
