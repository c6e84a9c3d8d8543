"""The users routes, including what the first implementation broke (create and update)."""

from __future__ import annotations

import httpx
import pytest

from clockify_tracker.kit.db import Database
from clockify_tracker.models import Role
from tests.support.clockify import deliver, entry
from tests.support.factories import create_account, create_organization, login

SERVICE = {"Authorization": "Bearer test-secret-token-value"}
USER = "6650bb00bb00bb00bb00bb01"  # the Clockify user of tests.support.clockify.entry()


@pytest.fixture
async def ana(client: httpx.AsyncClient, db: Database) -> str:
    await deliver(
        client,
        db,
        "end",
        entry(start="2026-11-05T15:00:00Z", end="2026-11-05T16:00:00Z", duration="PT1H"),
    )
    return USER


async def test_a_webhook_user_gets_an_email_and_preferences(
    client: httpx.AsyncClient, ana: str
) -> None:
    response = await client.put(
        f"/api-clockify/users/update/{ana}",
        json={
            "email": "Ana@Example.com",
            "hoursPerMonth": 160,
            "notify": False,
            "timeZone": "America/Bogota",
        },
        headers=SERVICE,
    )
    assert response.status_code == 200, response.text
    user = response.json()
    assert (user["email"], user["hoursPerMonth"], user["notify"], user["timeZone"]) == (
        "Ana@example.com",
        160,
        False,
        "America/Bogota",
    )
    assert user["ExternalUserId"] == ana
    found = await client.get("/api-clockify/users/getByEmail/ana@EXAMPLE.com", headers=SERVICE)
    assert found.json()["id"] == user["id"]


async def test_create_then_read_by_external_id(client: httpx.AsyncClient, db: Database) -> None:
    created = await client.post(
        "/api-clockify/users/create/",
        json={
            "name": "Nuevo Usuario",
            "email": "nuevo@example.com",
            "externalUserId": "U999",
            "hoursPerMonth": 160,
        },
        headers=SERVICE,
    )
    assert created.status_code == 201, created.text
    assert created.json()["enable"] is True
    again = await client.get("/api-clockify/users/getByExternalId/U999", headers=SERVICE)
    assert again.json()["email"] == "nuevo@example.com"


async def test_duplicates_are_409(client: httpx.AsyncClient, db: Database, ana: str) -> None:
    await client.put(
        f"/api-clockify/users/update/{ana}", json={"email": "ana@example.com"}, headers=SERVICE
    )
    same_id = await client.post(
        "/api-clockify/users/create/", json={"name": "X", "ExternalUserId": ana}, headers=SERVICE
    )
    same_email = await client.post(
        "/api-clockify/users/create/",
        json={"name": "Y", "ExternalUserId": "U1", "email": "ANA@example.com"},
        headers=SERVICE,
    )
    assert same_id.status_code == 409
    assert same_email.status_code == 409
    assert same_email.json()["details"][0]["field"] == "email"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "body.email"),
        ({"hoursPerMonth": -1}, "body.hoursPerMonth"),
        ({"timeZone": "Mars/Base"}, "body.timeZone"),
    ],
)
async def test_bad_updates_are_422_naming_the_field(
    client: httpx.AsyncClient, ana: str, body: dict[str, object], field: str
) -> None:
    response = await client.put(f"/api-clockify/users/update/{ana}", json=body, headers=SERVICE)
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == field


async def test_disable_is_soft_and_enable_clears_the_time(
    client: httpx.AsyncClient, ana: str
) -> None:
    disabled = await client.delete(f"/api-clockify/users/deleteByExternalId/{ana}", headers=SERVICE)
    assert disabled.json()["enable"] is False
    assert disabled.json()["disabledTime"] is not None
    enabled = await client.put(
        f"/api-clockify/users/update/{ana}", json={"enable": True}, headers=SERVICE
    )
    assert (enabled.json()["enable"], enabled.json()["disabledTime"]) == (True, None)
    sessions = await client.get("/api-clockify/sessions/getAll", headers=SERVICE)
    assert len(sessions.json()) == 1, "the user's sessions stay"


async def test_search_by_day_and_range(client: httpx.AsyncClient, ana: str) -> None:
    def search(**params: str) -> object:
        return client.get("/api-clockify/users/search/", params=params, headers=SERVICE)

    assert len((await search(startDate="2026-11-05")).json()) == 1
    assert (await search(startDate="2026-11-06")).json() == []
    assert len((await search(fromDate="2026-11-01", toDate="2026-11-30")).json()) == 1
    assert (await search(fromDate="2026-11-06")).json() == []
    assert (await search(startDate="05-11-2026")).status_code == 422
    assert (await search()).status_code == 422


async def test_unknown_user_is_404(client: httpx.AsyncClient, db: Database) -> None:
    assert (
        await client.get("/api-clockify/users/getByExternalId/nope", headers=SERVICE)
    ).status_code == 404
    assert (
        await client.put("/api-clockify/users/update/nope", json={"name": "x"}, headers=SERVICE)
    ).status_code == 404


async def test_an_account_creates_users_in_its_active_organization(
    client: httpx.AsyncClient, db: Database
) -> None:
    acme = await create_organization(db, "Acme")
    await create_account(db, "coord@example.com", organization=acme, role=Role.COORDINADOR)
    await login(client, "coord@example.com")
    created = await client.post(
        "/api-clockify/users/create/", json={"name": "Luis", "ExternalUserId": "U5"}
    )
    assert created.status_code == 201
    listed = await client.get("/api-clockify/users/getAll/")
    assert [u["ExternalUserId"] for u in listed.json()] == ["U5"]
