"""Webhook ingestion through the real endpoints: real bodies, auth, bad input, idempotency."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from clockify_tracker.config import Settings
from clockify_tracker.kit.db import Database
from clockify_tracker.main import create_app
from clockify_tracker.models import (
    BinnacleEntry,
    ClockifyEvent,
    ClockifySession,
    ClockifyUser,
    ErrorLog,
    Notification,
    Organization,
)
from tests.fixtures.app import client_for
from tests.support.clockify import (
    deliver,
    entry,
    fixture,
    last_delivery_id,
    process,
    send,
    shared_fixtures,
    token,
)


async def count(db: Database, model: Any) -> int:
    async with db.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def one_session(db: Database, external_id: str) -> ClockifySession:
    async with db.unit_of_work() as session:
        row = await session.scalar(
            select(ClockifySession).where(ClockifySession.external_id == external_id)
        )
    assert row is not None
    return row


async def notifications(db: Database) -> list[str]:
    async with db.unit_of_work() as session:
        return list(await session.scalars(select(Notification.kind).order_by(Notification.id)))


# --- the shared real bodies ------------------------------------------------------------------


async def test_real_timer_stopped_body_is_stored_value_by_value(
    client: httpx.AsyncClient, db: Database
) -> None:
    response, outcomes = await deliver(client, db, "end", fixture("timer_stopped_1.json"))

    assert response.status_code == 202, response.text
    assert response.json()["outcome"] == "accepted"
    assert outcomes == ["created"]
    row = await one_session(db, "6260fee78065a229df4561dd")
    assert row.description == "cloud practitioner"
    assert row.project_id == "625d15dfbea8f62f6f3aa377"
    assert row.project_name == "Kabisa - Persoonlijke Ontwikkeling"
    assert row.task_id == "625d15df75a4b64878ccc690"
    assert row.task_name == "Research / Zelfstudie #8494"
    assert row.workspace_id == "625cf4a6a7d9d34012f70de2"
    assert row.start_at == datetime(2022, 4, 21, 6, 51, 17, tzinfo=UTC)
    assert row.end_at == datetime(2022, 4, 21, 6, 51, 43, tzinfo=UTC)
    assert row.duration_seconds == 26
    assert row.currently_running is False
    assert row.billable is True
    assert row.tags == []
    assert row.time_zone == "America/Mexico_City", "no zone in the body: APP_TIMEZONE"
    assert row.local_date == date(2022, 4, 21)
    assert row.status == "APROBADO"
    assert (row.valid_start_at, row.valid_end_at, row.valid_duration_seconds) == (
        row.start_at, row.end_at, 26,
    )  # fmt: skip
    assert row.updating_quantity == 0
    assert row.enabled is True
    async with db.unit_of_work() as session:
        user = await session.scalar(select(ClockifyUser))
        organization = await session.scalar(select(Organization))
    assert user is not None
    assert (user.external_id, user.name, user.email) == (
        "625cf4a6a7d9d34012f70de1",
        "JP Weijers",
        None,
    )
    assert organization is not None
    assert organization.name == "default", "first-seen workspace goes to DEFAULT_ORGANIZATION"
    assert await notifications(db) == ["stopped"]


async def test_real_2025_manual_entry_with_zone_and_tag_objects(
    client: httpx.AsyncClient, db: Database
) -> None:
    response, _ = await deliver(client, db, "manual", fixture("new_time_entry_4.json"))

    assert response.status_code == 202, response.text
    row = await one_session(db, "68453d0cf0c88d522704ab76")
    assert row.time_zone == "Asia/Calcutta"
    assert (row.offset_start, row.offset_end) == (19800, 19800)
    assert (row.zoned_start, row.zoned_end) == ("2025-06-16T12:35:00", "2025-06-17T00:23:00")
    assert row.local_date == date(2025, 6, 16)
    assert row.duration_seconds == 11 * 3600 + 48 * 60
    assert row.tags == [{"id": "68452a1b0300f917a02f30bc", "name": "new"}]
    assert row.is_manual is True
    assert row.status == "EN OBSERVACION", "manual entries wait for review"
    assert row.valid_duration_seconds is None
    assert row.overtime is True, "11h48m is over OVERTIME_HOURS"
    assert await notifications(db) == ["manual", "overtime"]


async def test_real_deleted_body_soft_deletes(client: httpx.AsyncClient, db: Database) -> None:
    body = fixture("time_entry_deleted_1.json")
    await deliver(client, db, "end", body)

    response, _ = await deliver(client, db, "delete", body)

    assert response.status_code == 202
    row = await one_session(db, body["id"])
    assert row.enabled is False
    assert row.disabled_at is not None
    assert await notifications(db) == ["stopped", "deleted"]


@pytest.mark.parametrize("path", shared_fixtures(), ids=lambda p: p.name)
async def test_every_shared_fixture_is_accepted_or_refused_by_its_shape(
    client: httpx.AsyncClient, db: Database, path: Any
) -> None:
    body = json.loads(path.read_text())
    is_time_entry = "timeInterval" in body
    event = (
        "manual"
        if path.name.startswith("new_time_entry")
        else "delete"
        if "deleted" in path.name
        else "end"
    )

    response, outcomes = await deliver(client, db, event, body)

    if is_time_entry:
        assert response.status_code == 202, response.text
        assert outcomes == ["created"]
    else:
        assert response.status_code == 422
        assert "timeInterval" in response.json()["error"]
        assert await count(db, ClockifySession) == 0
        async with db.unit_of_work() as session:
            logged = await session.scalar(select(ErrorLog))
        assert logged is not None
        assert logged.status_code == 422
        assert logged.raw_body is not None
        assert body["id"] in logged.raw_body


async def test_captured_request_replays_on_the_routed_endpoint(db: Database) -> None:
    capture = fixture("timer_stopped_1.request.json")
    headers = capture["headers"]
    settings = Settings(clockify_secret_token_end=headers["clockify-signature"])
    async for client in client_for(create_app(settings)):
        response = await client.post(
            "/api-clockify/webhook",
            content=capture["body"].encode(),  # the raw string Clockify sent
            headers={
                "Content-Type": headers["content-type"],
                "Clockify-Signature": headers["clockify-signature"],
                "Clockify-Webhook-Event-Type": headers["clockify-webhook-event-type"],
            },
        )
        assert response.status_code == 202, response.text
    entry_id = json.loads(capture["body"])["id"]
    assert await process(db, entry_id, since=0) == ["created"]
    assert (await one_session(db, entry_id)).duration_seconds == 26


async def test_seed_readme_paths_work_too(client: httpx.AsyncClient, db: Database) -> None:
    response, _ = await deliver(
        client, db, "start", entry(end=None, duration=None), prefix="/webhook/clockify"
    )
    assert response.status_code == 202
    assert (await one_session(db, entry()["id"])).currently_running is True


async def test_a_body_with_new_unknown_fields_and_missing_optional_ones_is_accepted(
    client: httpx.AsyncClient, db: Database
) -> None:
    body = entry(futureField={"x": 1}, kioskId=None)
    for optional in ("project", "task", "projectId", "billable", "tags", "description"):
        body.pop(optional, None)

    response, outcomes = await deliver(client, db, "end", body)
    assert response.status_code == 202
    assert outcomes == ["created"]


async def test_durations_beyond_24_hours_parse(client: httpx.AsyncClient, db: Database) -> None:
    body = entry(
        start="2024-01-01T00:00:00Z", end="2026-03-21T07:16:48Z", duration="PT19471H16M48S"
    )
    assert (await deliver(client, db, "end", body))[0].status_code == 202
    assert (await one_session(db, body["id"])).duration_seconds == 19471 * 3600 + 16 * 60 + 48


# --- authentication and bad input ------------------------------------------------------------


@pytest.mark.parametrize("signature", ["", "wrong", "x" * 500, "clockify-end-token-of-another"])
async def test_wrong_or_missing_signature_is_401_and_stores_no_body(
    client: httpx.AsyncClient, db: Database, signature: str
) -> None:
    body = entry()
    response = await send(client, "end", body, signature=signature)
    missing = await client.post(
        "/api-clockify/webhook/end",
        content=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == missing.status_code == 401
    assert {k: v for k, v in response.json().items() if k != "requestId"} == {
        k: v for k, v in missing.json().items() if k != "requestId"
    }
    assert await count(db, ClockifySession) == 0
    assert await count(db, ClockifyEvent) == 0
    assert await count(db, ClockifyUser) == 0
    async with db.unit_of_work() as session:
        rows = list(await session.scalars(select(ErrorLog)))
    assert all(row.raw_body is None for row in rows)
    assert all(signature not in row.message for row in rows if signature)


async def test_each_endpoint_wants_its_own_token(client: httpx.AsyncClient, db: Database) -> None:
    response = await send(client, "end", entry(), signature=token("start"))
    assert response.status_code == 401


async def test_an_empty_configured_token_refuses_everything(db: Database) -> None:
    async for client in client_for(create_app(Settings(clockify_secret_token_end=""))):
        assert (await send(client, "end", entry(), signature="")).status_code == 401


async def test_not_json_is_400_with_the_raw_body_in_the_error_log(
    client: httpx.AsyncClient, db: Database
) -> None:
    response = await send(client, "end", b"{not json at all")
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "body"
    async with db.unit_of_work() as session:
        logged = await session.scalar(select(ErrorLog))
    assert logged is not None
    assert logged.raw_body == "{not json at all"
    assert await count(db, ClockifySession) == 0


async def test_invalid_utf8_is_400(client: httpx.AsyncClient, db: Database) -> None:
    assert (await send(client, "end", b'{"id": "\xff\xfe"}')).status_code == 400


async def test_a_body_that_is_not_a_time_entry_is_422_naming_the_fields(
    client: httpx.AsyncClient, db: Database
) -> None:
    body = entry()
    body["timeInterval"]["duration"] = "two hours"
    del body["user"]

    response = await send(client, "end", body)

    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["details"]}
    assert {"timeInterval.duration", "user"} <= fields
    assert await count(db, ClockifySession) == 0


async def test_over_one_mebibyte_is_413(client: httpx.AsyncClient, db: Database) -> None:
    body = entry(description="x" * (1024 * 1024 + 10))
    response = await send(client, "end", body)
    assert response.status_code == 413
    assert await count(db, ClockifySession) == 0


async def test_wrong_content_type_is_415(client: httpx.AsyncClient, db: Database) -> None:
    response = await client.post(
        "/api-clockify/webhook/end",
        content=json.dumps(entry()),
        headers={"Content-Type": "text/plain", "Clockify-Signature": token("end")},
    )
    assert response.status_code == 415
    assert await count(db, ClockifySession) == 0


async def test_routed_endpoint_refuses_unknown_events(
    client: httpx.AsyncClient, db: Database
) -> None:
    def headers(event_type: str, signature: str) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "Clockify-Signature": signature,
            "Clockify-Webhook-Event-Type": event_type,
        }

    body = json.dumps(entry())
    unknown = await client.post(
        "/api-clockify/webhook", content=body, headers=headers("NEW_PROJECT", token("end"))
    )
    unsigned = await client.post(
        "/api-clockify/webhook", content=body, headers=headers("NEW_PROJECT", "nope")
    )
    stopped = await client.post(
        "/api-clockify/webhook", content=body, headers=headers("TIMER_STOPPED", token("end"))
    )

    assert unknown.status_code == 422
    assert unsigned.status_code == 401
    assert stopped.status_code == 202


# --- idempotency -----------------------------------------------------------------------------


async def test_fifty_concurrent_identical_deliveries_make_one_of_everything(
    client: httpx.AsyncClient, db: Database
) -> None:
    body = entry()
    responses = await asyncio.gather(*(send(client, "end", body) for _ in range(50)))

    assert all(r.status_code in (200, 202) for r in responses), {r.status_code for r in responses}
    outcomes = sorted(r.json()["outcome"] for r in responses)
    assert outcomes == ["accepted"] + ["duplicate"] * 49
    applied = await asyncio.gather(*(process(db, body["id"]) for _ in range(5)))
    # These five calls and the suite's worker (which may have taken the delivery first) race
    # for it: at most one call applies it, and the stored outcome shows it was applied once.
    assert sorted(applied)[:4] == [[], [], [], []]
    assert sorted(applied)[4] in ([], ["created"])
    assert await process(db, body["id"], since=0) == ["created"], "applied once, by whoever"
    assert await count(db, ClockifySession) == 1
    assert await count(db, BinnacleEntry) == 1
    assert await count(db, Notification) == 1
    assert await count(db, ClockifyUser) == 1


async def test_concurrent_first_deliveries_of_different_entries_share_one_user(
    client: httpx.AsyncClient, db: Database
) -> None:
    bodies = [entry(f"6650aa00aa00aa00aa00a{n:03d}") for n in range(20)]
    responses = await asyncio.gather(*(send(client, "end", b) for b in bodies))
    assert all(r.status_code == 202 for r in responses)
    await asyncio.gather(*(process(db, b["id"]) for b in bodies))
    assert await count(db, ClockifyUser) == 1
    assert await count(db, ClockifySession) == 20


# --- rules -----------------------------------------------------------------------------------


async def test_first_small_edit_is_accepted_and_a_second_goes_to_review(
    client: httpx.AsyncClient, db: Database
) -> None:
    await deliver(client, db, "end", entry())
    small = entry(end="2026-11-02T17:03:00Z", duration="PT2H3M")
    await deliver(client, db, "edit", small)
    row = await one_session(db, small["id"])
    assert (row.updating_quantity, row.status) == (1, "APROBADO")
    assert row.valid_end_at == datetime(2026, 11, 2, 17, 3, tzinfo=UTC)

    second = entry(end="2026-11-02T17:04:00Z", duration="PT2H4M")
    await deliver(client, db, "edit", second)

    row = await one_session(db, second["id"])
    assert (row.updating_quantity, row.status) == (2, "EN OBSERVACION")
    assert row.valid_end_at == datetime(2026, 11, 2, 17, 3, tzinfo=UTC), "last accepted kept"
    assert await notifications(db) == ["stopped", "edited", "edited", "review"]


async def test_a_large_first_edit_goes_to_review(client: httpx.AsyncClient, db: Database) -> None:
    await deliver(client, db, "end", entry())
    await deliver(client, db, "edit", entry(start="2026-11-02T14:00:00Z", duration="PT3H"))
    row = await one_session(db, entry()["id"])
    assert row.status == "EN OBSERVACION"
    assert row.valid_start_at == datetime(2026, 11, 2, 15, tzinfo=UTC)


async def test_a_description_change_counts_but_needs_no_review(
    client: httpx.AsyncClient, db: Database
) -> None:
    await deliver(client, db, "end", entry())
    await deliver(client, db, "edit", entry(description="Otra cosa"))
    row = await one_session(db, entry()["id"])
    assert (row.updating_quantity, row.status, row.description) == (1, "APROBADO", "Otra cosa")


async def test_overtime_is_flagged_and_notified_once(
    client: httpx.AsyncClient, db: Database
) -> None:
    long = entry(start="2026-11-02T08:00:00Z", end="2026-11-02T14:00:00Z", duration="PT6H")
    await deliver(client, db, "end", long)
    await deliver(client, db, "edit", {**long, "description": "más largo"})

    assert (await one_session(db, long["id"])).overtime is True
    assert (await notifications(db)).count("overtime") == 1


async def test_a_coordinators_email_is_never_overwritten(
    client: httpx.AsyncClient, db: Database
) -> None:
    await deliver(client, db, "end", entry())
    async with db.unit_of_work() as session:
        user = await session.scalar(select(ClockifyUser))
        assert user is not None
        user.email = "ana@example.com"
    await deliver(client, db, "edit", entry(description="otra"))

    async with db.unit_of_work() as session:
        user = await session.scalar(select(ClockifyUser))
    assert user is not None
    assert user.email == "ana@example.com"


async def test_the_binnacle_refuses_updates_and_deletes(
    client: httpx.AsyncClient, db: Database
) -> None:
    await deliver(client, db, "end", entry())
    for statement in ("UPDATE binnacle_entry SET event = 'x'", "DELETE FROM binnacle_entry"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.unit_of_work() as session:
                await session.execute(text(statement))
    assert await count(db, BinnacleEntry) == 1


async def test_binnacle_entries_name_the_event_source_and_changes(
    client: httpx.AsyncClient, db: Database
) -> None:
    await deliver(client, db, "end", entry())
    await deliver(client, db, "edit", entry(description="Revisión"))
    async with db.unit_of_work() as session:
        entries = list(await session.scalars(select(BinnacleEntry).order_by(BinnacleEntry.id)))
    assert [(e.event, e.source) for e in entries] == [("end", "webhook"), ("edit", "webhook")]
    assert {"field": "description", "old": "Planeación", "new": "Revisión"} in entries[1].changes
    assert entries[1].snapshot["description"] == "Revisión"


@pytest.fixture
async def anonymous(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(create_app(Settings())):
        yield client


async def test_a_configured_restore_brings_a_deleted_entry_back(db: Database) -> None:
    settings = Settings(clockify_secret_token_restore="restore-secret-0123456789")
    body = entry("6650aa00aa00aa00aa00e5e5")
    async for client in client_for(create_app(settings)):
        await deliver(client, db, "end", body)
        await deliver(client, db, "delete", body)
        since = await last_delivery_id(db, body["id"])
        restored = await client.post(
            "/api-clockify/webhook",
            content=json.dumps(body),
            headers={
                "Content-Type": "application/json",
                "Clockify-Signature": "restore-secret-0123456789",
                "Clockify-Webhook-Event-Type": "TIME_ENTRY_RESTORED",
            },
        )
        assert restored.status_code == 202
    assert await process(db, body["id"], since=since) == ["updated"]
    row = await one_session(db, body["id"])
    assert (row.enabled, row.disabled_at) == (True, None)


async def test_restore_is_refused_when_not_configured(
    client: httpx.AsyncClient, db: Database
) -> None:
    response = await client.post(
        "/api-clockify/webhook",
        content=json.dumps(entry()),
        headers={
            "Content-Type": "application/json",
            "Clockify-Signature": "",
            "Clockify-Webhook-Event-Type": "TIME_ENTRY_RESTORED",
        },
    )
    assert response.status_code == 401


async def test_local_day_follows_the_users_zone_when_the_entry_has_none(
    client: httpx.AsyncClient, db: Database
) -> None:
    late_evening = entry(start="2026-11-03T03:30:00Z", end="2026-11-03T04:30:00Z", duration="PT1H")
    await deliver(client, db, "end", late_evening)
    assert (await one_session(db, late_evening["id"])).local_date == date(2026, 11, 2), (
        "Mexico City"
    )

    async with db.unit_of_work() as session:
        user = await session.scalar(select(ClockifyUser))
        assert user is not None
        user.time_zone = "Europe/Madrid"
    await deliver(client, db, "edit", {**late_evening, "description": "otra"})
    row = await one_session(db, late_evening["id"])
    assert (row.time_zone, row.local_date) == ("Europe/Madrid", date(2026, 11, 3))


async def test_a_nul_character_in_a_webhook_body_is_422(
    client: httpx.AsyncClient, db: Database
) -> None:
    body = json.dumps(entry(description="a\u0000b")).encode()
    response = await send(client, "end", body)
    assert response.status_code == 422
    assert await count(db, ClockifyEvent) == 0
    async with db.unit_of_work() as session:
        logged = await session.scalar(select(ErrorLog))
    assert logged is not None
    assert logged.raw_body is not None


@pytest.mark.parametrize(
    ("interval", "field"),
    [
        (
            {
                "start": "2026-11-02T15:00:00Z",
                "end": "2026-11-02T17:00:00Z",
                "duration": "PT999999999H",
            },
            "timeInterval.duration",
        ),
        (
            {"start": "2026-11-02T15:00:00Z", "end": "2026-11-02T14:00:00Z", "duration": None},
            "timeInterval",
        ),
    ],
)
async def test_impossible_intervals_are_422(
    client: httpx.AsyncClient, db: Database, interval: dict[str, Any], field: str
) -> None:
    body = entry()
    body["timeInterval"] = interval
    response = await send(client, "end", body)
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == field
