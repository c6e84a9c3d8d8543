"""/api-clockify/error-log: what was refused, filterable, and only for those allowed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from clockify_tracker.kit.db import Database
from tests.support.clockify import send
from tests.support.factories import create_account, create_organization, login

SERVICE = {"X-Webhook-Token": "test-secret-token-value"}


async def test_refused_webhooks_are_listed_filtered_and_readable(
    client: httpx.AsyncClient, db: Database
) -> None:
    await send(client, "end", b"{not json")
    await send(client, "edit", {"id": "x", "workspaceId": "w"})
    today = datetime.now(ZoneInfo("America/Mexico_City")).date().isoformat()

    everything = await client.get("/api-clockify/error-log/", headers=SERVICE)
    assert everything.status_code == 200
    assert everything.headers["x-total-count"] == "2"
    assert [e["statusCode"] for e in everything.json()] == [422, 400], "newest first"

    only_edit = await client.get(
        "/api-clockify/error-log", params={"endpoint": "WEBHOOK/EDIT"}, headers=SERVICE
    )
    assert [e["statusCode"] for e in only_edit.json()] == [422]
    by_status = await client.get(
        "/api-clockify/error-log/", params={"statusCode": 400}, headers=SERVICE
    )
    assert by_status.json()[0]["payload"] == "{not json"
    by_day = await client.get(
        "/api-clockify/error-log/", params={"fromDate": today, "toDate": today}, headers=SERVICE
    )
    assert len(by_day.json()) == 2
    none_before = await client.get(
        "/api-clockify/error-log/", params={"toDate": "2020-01-01"}, headers=SERVICE
    )
    assert none_before.json() == []
    bad_day = await client.get(
        "/api-clockify/error-log/", params={"fromDate": "ayer"}, headers=SERVICE
    )
    assert bad_day.status_code == 422

    one = await client.get(
        f"/api-clockify/error-log/{everything.json()[0]['idErrorLog']}", headers=SERVICE
    )
    assert one.json()["message"].startswith("No es una entrada de tiempo")
    assert (await client.get("/api-clockify/error-log/999999", headers=SERVICE)).status_code == 404


async def test_rows_of_no_organization_are_not_shown_to_organization_accounts(
    client: httpx.AsyncClient, db: Database
) -> None:
    await send(client, "end", b"{not json")
    acme = await create_organization(db, "Acme")
    await create_account(db, "coord@example.com", organization=acme)
    await login(client, "coord@example.com")

    listed = await client.get("/api-clockify/error-log/")
    assert listed.status_code == 200
    assert listed.json() == []
