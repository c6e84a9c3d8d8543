"""Notifications become emails written with the change and delivered by the real worker:
coordinators in one message, the user in another when their email is known and notify is on."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from clockify_tracker.kit.db import Database
from clockify_tracker.models import ClockifyUser, ClockifyWorkspace, EmailMessage, Role
from tests.fixtures.smtp import ReceivedMail, SmtpServer
from tests.support.clockify import entry, send
from tests.support.factories import create_account, create_organization
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("celery_worker")

COORDINATION = ["clockify@example.com", "coordinacion@example.com", "gerencia@example.com"]


async def emails(db: Database) -> list[EmailMessage]:
    async with db.unit_of_work() as session:
        return list(await session.scalars(select(EmailMessage).order_by(EmailMessage.id)))


async def delivered(smtp: SmtpServer, count: int) -> list[ReceivedMail] | None:
    return list(smtp.messages) if len(smtp.messages) >= count else None


async def register_user(db: Database, external_id: str, email: str, *, notify: bool) -> None:
    """The first webhook creates the user; a coordinator then gives the email Clockify omits."""
    async with db.unit_of_work() as session:
        user = await session.scalar(
            select(ClockifyUser).where(ClockifyUser.external_id == external_id)
        )
        assert user is not None
        user.email, user.notify = email, notify


async def test_a_stopped_timer_reaches_coordinators_and_the_user_in_separate_messages(
    client: httpx.AsyncClient, db: Database, smtp_server: SmtpServer
) -> None:
    first = entry("6650aa00aa00aa00aa0e0001", start="2026-11-03T05:30:00Z",
                  end="2026-11-03T07:35:00Z", duration="PT2H5M")  # fmt: skip
    assert (await send(client, "end", first)).status_code == 202
    await eventually(lambda: delivered(smtp_server, 1))
    await register_user(db, first["userId"], "ana@example.com", notify=True)
    smtp_server.messages.clear()

    body = entry("6650aa00aa00aa00aa0e0002", start="2026-11-03T05:30:00Z",
                 end="2026-11-03T07:35:00Z", duration="PT2H5M",
                 description="<b>Cierre</b> & revisión")  # fmt: skip
    assert (await send(client, "end", body)).status_code == 202

    messages = await eventually(lambda: delivered(smtp_server, 2))
    await asyncio.sleep(1.5)  # the sweeper had its chances to send one again
    assert len(smtp_server.messages) == 2
    by_audience = {tuple(sorted(m.rcpt_tos)): m for m in messages}
    coordinators = by_audience[tuple(COORDINATION)]
    user = by_audience[("ana@example.com",)]
    assert "coordinacion@example.com" not in user.message["To"], "the user sees only themself"
    for received in (coordinators, user):
        message = received.message
        assert message["From"] == "notificaciones@example.com"
        assert message["Subject"] == "Clockify - Sesión finalizada - Ana Pérez - (2026-11-02 23:30)"
        assert message["Message-ID"].endswith("@clockify-tracker>")
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "02/11/2026 23:30 (America/Mexico_City)" in text
        assert "2 h 05 min" in text
        assert "<b>Cierre</b> & revisión" in text
        assert "&lt;b&gt;Cierre&lt;/b&gt; &amp; revisión" in html
    assert "Ana Pérez terminó una sesión" in coordinators.message.get_body(("plain",)).get_content()
    assert "Terminaste una sesión" in user.message.get_body(("plain",)).get_content()
    rows = await emails(db)
    assert {r.message_id for r in rows} >= {coordinators.message["Message-ID"],
                                             user.message["Message-ID"]}  # fmt: skip


async def test_a_user_with_notify_off_gets_nothing_and_coordinators_still_do(
    client: httpx.AsyncClient, db: Database, smtp_server: SmtpServer
) -> None:
    first = entry("6650aa00aa00aa00aa0e0003")
    await send(client, "end", first)
    await eventually(lambda: delivered(smtp_server, 1))
    await register_user(db, first["userId"], "ana@example.com", notify=False)

    await send(client, "end", entry("6650aa00aa00aa00aa0e0004"))
    await eventually(lambda: delivered(smtp_server, 2))
    await asyncio.sleep(1.0)
    assert [sorted(m.rcpt_tos) for m in smtp_server.messages] == [COORDINATION, COORDINATION]


async def test_another_organizations_sessions_go_to_its_own_coordinators_only(
    client: httpx.AsyncClient, db: Database, smtp_server: SmtpServer
) -> None:
    other = await create_organization(db, "Beta Servicios")
    await create_account(db, "coord-beta@example.com", organization=other, role=Role.COORDINADOR)
    await create_account(db, "admin-beta@example.com", organization=other)
    async with db.unit_of_work() as session:
        session.add(ClockifyWorkspace(id="6650ccccccccccccccccbbbb", organization_id=other.id))

    await send(client, "end", entry("6650aa00aa00aa00aa0e0005",
                                    workspace_id="6650ccccccccccccccccbbbb"))  # fmt: skip
    (message,) = await eventually(lambda: delivered(smtp_server, 1))
    await asyncio.sleep(1.0)
    assert len(smtp_server.messages) == 1
    assert message.rcpt_tos == ["coord-beta@example.com"], "not the default org's coordination"
