"""Creating, correcting and deleting sessions through the API, and binnacle notes."""

from __future__ import annotations

import httpx
import pytest

from clockify_tracker.kit.db import Database
from tests.support.clockify import deliver, entry, process

SERVICE = {"Authorization": "test-secret-token-value"}


@pytest.fixture
async def user_id(client: httpx.AsyncClient, db: Database) -> int:
    await deliver(client, db, "end", entry())
    users = await client.get("/api-clockify/users/getAll/", headers=SERVICE)
    return int(users.json()[0]["id"])


def seed_body(user_id: int, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "external_sesion_id": "abc123", "description": "Tarea manual", "idUser": user_id,
        "idProject": "proj789", "projectName": "Proyecto Interno", "idWorkspace": "ws001",
        "workspaceName": "ActionTracker", "idTask": "task001", "taskName": "Planeación",
        "startDate": "2025-07-15T08:00:00Z", "endDate": "2025-07-15T10:00:00Z",
        "duration": "PT2H", "timeZone": "America/Bogota", "offsetStart": -18000,
        "offsetEnd": -18000, "currentlyRunning": False,
    }  # fmt: skip
    body.update(overrides)
    return body


async def history(client: httpx.AsyncClient, session_id: int) -> list[dict[str, object]]:
    response = await client.get(
        f"/api-clockify/session-binnacle/getByIdSession/{session_id}", headers=SERVICE
    )
    return list(response.json())


async def test_the_seed_readme_create_body_works_and_is_audited(
    client: httpx.AsyncClient, user_id: int
) -> None:
    response = await client.post(
        "/api-clockify/sessions/create", json=seed_body(user_id), headers=SERVICE
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["externalSesionId"], created["duration"], created["timeZone"]) == (
        "abc123",
        "PT2H",
        "America/Bogota",
    )
    assert created["localDate"] == "2025-07-15"
    assert created["validDuration"] == "PT2H"
    assert created["status"] == "APROBADO"
    [entry_] = await history(client, created["idSesion"])
    assert (entry_["event"], entry_["source"], entry_["actor"]) == (
        "create",
        "api",
        "token:SECRET_TOKEN",
    )


async def test_create_errors(client: httpx.AsyncClient, user_id: int) -> None:
    await client.post("/api-clockify/sessions/create", json=seed_body(user_id), headers=SERVICE)
    duplicate = await client.post(
        "/api-clockify/sessions/create", json=seed_body(user_id), headers=SERVICE
    )
    no_user = await client.post(
        "/api-clockify/sessions/create",
        json=seed_body(999999, external_sesion_id="x2"),
        headers=SERVICE,
    )
    bad_duration = await client.post(
        "/api-clockify/sessions/create",
        json=seed_body(user_id, external_sesion_id="x3", duration="2 horas"),
        headers=SERVICE,
    )
    naive = await client.post(
        "/api-clockify/sessions/create",
        json=seed_body(user_id, external_sesion_id="x4", startDate="2025-07-15T08:00:00"),
        headers=SERVICE,
    )
    backwards = await client.post(
        "/api-clockify/sessions/create",
        json=seed_body(
            user_id, external_sesion_id="x5", endDate="2025-07-15T07:00:00Z", duration=None
        ),
        headers=SERVICE,
    )
    assert duplicate.status_code == 409
    assert no_user.status_code == 404
    assert bad_duration.status_code == 422
    assert bad_duration.json()["details"][0]["field"] == "body.duration"
    assert naive.status_code == 422
    assert backwards.status_code == 422


async def test_a_correction_is_an_edit_with_valid_times_and_audited(
    client: httpx.AsyncClient, user_id: int
) -> None:
    session_id = (
        await client.post("/api-clockify/sessions/create", json=seed_body(user_id), headers=SERVICE)
    ).json()["idSesion"]

    response = await client.put(
        f"/api-clockify/sessions/update/{session_id}",
        json={"description": "Tarea corregida", "endDate": "2025-07-15T11:00:00Z"},
        headers=SERVICE,
    )

    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["description"], updated["duration"], updated["validDuration"]) == (
        "Tarea corregida",
        "PT3H",
        "PT3H",
    )
    assert updated["updatingQuantity"] == 1
    latest = (await history(client, session_id))[0]
    assert latest["event"] == "update"
    assert {"field": "description", "old": "Tarea manual", "new": "Tarea corregida"} in latest[
        "changes"
    ]
    assert (
        await client.put(f"/api-clockify/sessions/update/{session_id}", json={}, headers=SERVICE)
    ).status_code == 422
    assert (
        await client.put(
            "/api-clockify/sessions/update/999999", json={"description": "x"}, headers=SERVICE
        )
    ).status_code == 404


async def test_delete_is_soft_audited_and_survives_later_webhooks(
    client: httpx.AsyncClient, db: Database, user_id: int
) -> None:
    session_id = (await client.get("/api-clockify/sessions/getAll", headers=SERVICE)).json()[0][
        "idSesion"
    ]

    deleted = await client.delete(f"/api-clockify/sessions/delete/{session_id}", headers=SERVICE)
    assert deleted.status_code == 200
    assert (deleted.json()["enable"], deleted.json()["disableTime"] is not None) == (False, True)
    assert (
        await client.delete(f"/api-clockify/sessions/delete/{session_id}", headers=SERVICE)
    ).status_code == 409

    late, outcomes = await deliver(client, db, "edit", entry(description="editada en Clockify"))
    assert late.status_code == 202
    assert outcomes == ["ignored"]
    found = await client.get(f"/api-clockify/sessions/getById/{session_id}", headers=SERVICE)
    assert found.json()["enable"] is False
    assert [e["event"] for e in await history(client, session_id)][:2] == ["edit", "delete"]


async def test_a_note_is_appended_with_its_author(client: httpx.AsyncClient, user_id: int) -> None:
    session_id = (await client.get("/api-clockify/sessions/getAll", headers=SERVICE)).json()[0][
        "idSesion"
    ]
    response = await client.post(
        "/api-clockify/session-binnacle/create/",
        json={"idSesion": session_id, "description": "Revisado con Ana"},
        headers=SERVICE,
    )
    assert response.status_code == 201, response.text
    assert response.json()["event"] == "note"
    assert {"field": "note", "old": None, "new": "Revisado con Ana"} in response.json()["changes"]
    missing = await client.post(
        "/api-clockify/session-binnacle/create/",
        json={"idSesion": 999999, "description": "x"},
        headers=SERVICE,
    )
    assert missing.status_code == 404


async def test_the_binnacle_has_no_update_or_delete_route(
    client: httpx.AsyncClient, user_id: int
) -> None:
    assert (
        await client.put("/api-clockify/session-binnacle/update/1", json={}, headers=SERVICE)
    ).status_code in (404, 405)
    assert (
        await client.delete("/api-clockify/session-binnacle/delete/1", headers=SERVICE)
    ).status_code in (404, 405)


async def test_processing_a_webhook_after_an_api_create_takes_clockifys_values(
    client: httpx.AsyncClient, db: Database, user_id: int
) -> None:
    """Clockify stays the source of truth for its entries."""
    body = entry("6650aa00aa00aa00aa00c0de", description="desde Clockify")
    await client.post(
        "/api-clockify/sessions/create",
        json=seed_body(user_id, external_sesion_id=body["id"]),
        headers=SERVICE,
    )
    await deliver(client, db, "end", body)
    await process(db, body["id"])
    found = await client.get(
        "/api-clockify/sessions/search/", params={"external_sesion_id": body["id"]}, headers=SERVICE
    )
    assert found.json()[0]["description"] == "desde Clockify"


async def test_a_duration_no_time_entry_can_have_is_422(
    client: httpx.AsyncClient, user_id: int
) -> None:
    """Found by the schema fuzz run: year 5 to year 2000 overflowed the seconds column."""
    ancient = seed_body(
        user_id, external_sesion_id="x9", startDate="0005-01-01T00:00:00Z", duration=None
    )
    response = await client.post("/api-clockify/sessions/create", json=ancient, headers=SERVICE)
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "endDate"
