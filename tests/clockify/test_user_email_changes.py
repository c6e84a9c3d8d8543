"""Changing a user's email is a sensitive change: recorded with its actor, told to the previous
address and the administrators, and, made by a coordinator, held for reports until an
administrator confirms it or REPORT_NEW_ADDRESS_HOLD_HOURS pass."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from clockify_tracker.kit.db import Database
from clockify_tracker.kit.time import utcnow
from clockify_tracker.models import (
    ClockifyUser,
    ClockifyUserChange,
    EmailMessage,
    Organization,
    Role,
)
from tests.fixtures.smtp import ReceivedMail, SmtpServer
from tests.support.factories import create_account, create_organization, login
from tests.support.polling import eventually
from tests.support.reports import create_session, create_user, utc

SERVICE = {"X-Webhook-Token": "test-secret-token-value"}
ADMIN, COORDINATOR, ACCOUNTANT = "admin@acme.example", "coord@acme.example", "conta@acme.example"
OUTSIDE = "eve@outside.example"


async def acme(db: Database) -> tuple[Organization, ClockifyUser]:
    """An organization with one account per role, and Ana, whose email the organization set
    long ago (no change on record), with a November session."""
    organization = await create_organization(db, "Acme")
    await create_account(db, ADMIN, organization=organization, role=Role.ADMINISTRADOR)
    await create_account(db, COORDINATOR, organization=organization, role=Role.COORDINADOR)
    await create_account(db, ACCOUNTANT, organization=organization, role=Role.CONTADOR)
    ana = await create_user(db, organization, "Ana Pérez", email="ana@example.com")
    await create_session(db, ana, utc("2026-11-10T15:00:00Z"), utc("2026-11-10T17:00:00Z"))
    return organization, ana


async def as_(client: httpx.AsyncClient, email: str) -> None:
    assert (await login(client, email)).status_code == 200


def report_to(user: ClockifyUser, address: str) -> dict[str, Any]:
    return {"idUser": user.id, "startDate": "2026-11-01", "endDate": "2026-11-30",
            "emailToSend": address}  # fmt: skip


async def set_email(
    client: httpx.AsyncClient, user: ClockifyUser, email: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.put(
        f"/api-clockify/users/update/{user.external_id}", json={"email": email}, headers=headers
    )


async def changes(db: Database) -> list[ClockifyUserChange]:
    async with db.unit_of_work() as session:
        rows = await session.scalars(select(ClockifyUserChange).order_by(ClockifyUserChange.id))
        return list(rows)


async def emails(db: Database) -> list[EmailMessage]:
    async with db.unit_of_work() as session:
        return list(await session.scalars(select(EmailMessage).order_by(EmailMessage.id)))


async def delivered(smtp: SmtpServer, count: int) -> list[ReceivedMail] | None:
    return list(smtp.messages) if len(smtp.messages) >= count else None


@pytest.mark.usefixtures("celery_worker")
async def test_a_coordinators_change_is_recorded_and_told_to_the_old_address_and_the_admins(
    client: httpx.AsyncClient, db: Database, smtp_server: SmtpServer
) -> None:
    _, ana = await acme(db)
    await as_(client, COORDINATOR)

    response = await set_email(client, ana, OUTSIDE)

    assert response.status_code == 200, response.text
    (change,) = await changes(db)
    assert (change.event, change.actor) == ("email_changed", COORDINATOR)
    assert (change.old_email, change.new_email) == ("ana@example.com", OUTSIDE)
    messages = await eventually(lambda: delivered(smtp_server, 2))
    by_recipients = {tuple(m.rcpt_tos): m.message for m in messages}
    assert set(by_recipients) == {("ana@example.com",), (ADMIN,)}, "each told apart"
    for message in by_recipients.values():
        assert message["Subject"] == "Clockify - Correo de usuario cambiado - Ana Pérez"
        body = message.get_body(("plain",)).get_content()
        assert COORDINATOR in body
        assert "ana@example.com" in body
        assert OUTSIDE in body
    to_admins = by_recipients[(ADMIN,)].get_body(("plain",)).get_content()
    assert "Reportes retenidos hasta" in to_admins
    assert f"/api-clockify/users/confirmEmail/{ana.external_id}" in to_admins
    to_owner = by_recipients[("ana@example.com",)].get_body(("plain",)).get_content()
    assert ADMIN not in to_owner
    assert {e.kind for e in await emails(db)} == {"user_email_changed"}


async def test_a_coordinator_cannot_mail_a_report_to_an_address_they_just_set(
    client: httpx.AsyncClient, db: Database
) -> None:
    _, ana = await acme(db)
    await as_(client, COORDINATOR)
    assert (await set_email(client, ana, OUTSIDE)).status_code == 200

    held = await client.post("/api-clockify/session-report/user", json=report_to(ana, OUTSIDE))
    confirm = await client.post(
        f"/api-clockify/users/confirmEmail/{ana.external_id}", json={"email": OUTSIDE}
    )
    # Clearing and setting it again starts another hold, it does not end this one.
    await set_email(client, ana, "ana@example.com")
    await set_email(client, ana, OUTSIDE)
    again = await client.post("/api-clockify/session-report/user", json=report_to(ana, OUTSIDE))
    own = await client.post("/api-clockify/session-report/user", json=report_to(ana, COORDINATOR))

    assert held.status_code == 409, held.text
    assert held.json()["details"][0]["field"] == "body.emailToSend"
    assert "ningún administrador lo ha confirmado" in held.json()["error"]
    assert confirm.status_code == 403
    assert again.status_code == 409
    assert own.status_code == 202, "the coordinator's own address is still fine"
    assert all(c.event == "email_changed" for c in await changes(db))

    await as_(client, ACCOUNTANT)
    read_only = await client.post(
        f"/api-clockify/users/confirmEmail/{ana.external_id}", json={"email": OUTSIDE}
    )
    assert read_only.status_code == 403


async def test_an_administrator_confirms_the_address_that_is_there_and_reports_go_to_it(
    client: httpx.AsyncClient, db: Database
) -> None:
    _, ana = await acme(db)
    await as_(client, COORDINATOR)
    await set_email(client, ana, OUTSIDE)

    await as_(client, ADMIN)
    stale = await client.post(
        f"/api-clockify/users/confirmEmail/{ana.external_id}", json={"email": "other@x.example"}
    )
    confirmed = await client.post(
        f"/api-clockify/users/confirmEmail/{ana.external_id}/", json={"email": OUTSIDE.upper()}
    )
    twice = await client.post(
        f"/api-clockify/users/confirmEmail/{ana.external_id}", json={"email": OUTSIDE}
    )
    await as_(client, COORDINATOR)
    report = await client.post("/api-clockify/session-report/user", json=report_to(ana, OUTSIDE))

    assert stale.status_code == 409
    assert stale.json()["details"][0]["field"] == "email"
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert (body["email"], body["changedBy"], body["confirmedBy"]) == (OUTSIDE, COORDINATOR, ADMIN)
    assert twice.status_code == 409, "nothing waits any more"
    assert report.status_code == 202, report.text
    assert [(c.event, c.actor) for c in await changes(db)] == [
        ("email_changed", COORDINATOR), ("email_confirmed", ADMIN),
    ]  # fmt: skip


async def test_the_service_token_and_an_administrator_change_emails_without_a_hold(
    client: httpx.AsyncClient, db: Database
) -> None:
    organization, ana = await acme(db)
    luis = await create_user(db, organization, "Luis Gómez", email="luis@example.com")

    by_token = await set_email(client, ana, "ana.nueva@example.com", SERVICE)
    token_report = await client.post(
        "/api-clockify/session-report/user", headers=SERVICE,
        json=report_to(ana, "ana.nueva@example.com"),
    )  # fmt: skip
    await as_(client, ADMIN)
    by_admin = await set_email(client, luis, "luis.nuevo@example.com")
    admin_report = await client.post(
        "/api-clockify/session-report/user", json=report_to(luis, "luis.nuevo@example.com")
    )
    # And the token confirms what a coordinator set, as an administrator does.
    await as_(client, COORDINATOR)
    await set_email(client, luis, OUTSIDE)
    token_confirms = await client.post(
        f"/api-clockify/users/confirmEmail/{luis.external_id}", headers=SERVICE,
        json={"email": OUTSIDE},
    )  # fmt: skip
    coordinator_report = await client.post(
        "/api-clockify/session-report/user", json=report_to(luis, OUTSIDE)
    )

    assert by_token.status_code == 200
    assert by_admin.status_code == 200
    assert token_report.status_code == 202, token_report.text
    assert admin_report.status_code == 202, admin_report.text
    assert token_confirms.status_code == 200, token_confirms.text
    assert token_confirms.json()["confirmedBy"] == "token:SECRET_TOKEN"
    assert coordinator_report.status_code == 202
    assert [(c.event, c.actor) for c in await changes(db)] == [
        ("email_changed", "token:SECRET_TOKEN"), ("email_confirmed", "token:SECRET_TOKEN"),
        ("email_changed", ADMIN), ("email_confirmed", ADMIN),
        ("email_changed", COORDINATOR), ("email_confirmed", "token:SECRET_TOKEN"),
    ]  # fmt: skip


async def test_a_user_created_by_a_coordinator_with_an_email_is_held_too(
    client: httpx.AsyncClient, db: Database
) -> None:
    await acme(db)
    await as_(client, COORDINATOR)
    created = await client.post(
        "/api-clockify/users/create/", json={"name": "Eve", "ExternalUserId": "U-eve",
                                             "email": OUTSIDE},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    report = await client.post(
        "/api-clockify/session-report/user",
        json={"idUser": created.json()["id"], "startDate": "2026-11-01",
              "endDate": "2026-11-30", "emailToSend": OUTSIDE},
    )  # fmt: skip
    assert report.status_code == 409
    (change,) = await changes(db)
    assert (change.old_email, change.new_email, change.actor) == (None, OUTSIDE, COORDINATOR)
    (notice,) = await emails(db)
    assert notice.recipients == [ADMIN], "no previous address: the administrators only"


async def test_a_change_older_than_the_hold_no_longer_holds(
    client: httpx.AsyncClient, db: Database
) -> None:
    organization, ana = await acme(db)
    async with db.unit_of_work() as session:
        session.add(
            ClockifyUserChange(
                organization_id=organization.id, clockify_user_id=ana.id, event="email_changed",
                old_email="before@example.com", new_email="ana@example.com", actor=COORDINATOR,
                created_at=utcnow() - timedelta(hours=24, minutes=1),
            )
        )  # fmt: skip
    await as_(client, COORDINATOR)
    report = await client.post(
        "/api-clockify/session-report/user", json=report_to(ana, "ana@example.com")
    )
    assert report.status_code == 202, report.text


async def test_the_change_record_is_append_only(client: httpx.AsyncClient, db: Database) -> None:
    _, ana = await acme(db)
    await as_(client, COORDINATOR)
    await set_email(client, ana, OUTSIDE)
    for statement in (
        "UPDATE clockify_user_change SET actor = 'nadie'",
        "DELETE FROM clockify_user_change",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.unit_of_work() as session:
                await session.execute(text(statement))
    assert [c.actor for c in await changes(db)] == [COORDINATOR]
