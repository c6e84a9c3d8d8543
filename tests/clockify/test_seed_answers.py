"""What the seed README's clients read in the answers, sent with the README's own bodies: the
confirmation messages, `workspaceName` on sessions, and the binnacle's flat fields."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from clockify_tracker.kit.db import Database
from clockify_tracker.models import ClockifySession, ClockifyWorkspace, Organization
from tests.support.clockify import deliver, entry
from tests.support.factories import create_organization

SERVICE = {"Authorization": "test-secret-token-value"}
# The seed README's bodies, as printed there; only idUser (42 there) is this test's user.
CREATE = {
    "external_sesion_id": "abc123",
    "description": "Tarea manual",
    "idUser": 42,
    "idProject": "proj789",
    "projectName": "Proyecto Interno",
    "idWorkspace": "ws001",
    "workspaceName": "ActionTracker",
    "idTask": "task001",
    "taskName": "Planeación",
    "startDate": "2025-07-15T08:00:00Z",
    "endDate": "2025-07-15T10:00:00Z",
    "duration": "PT2H",
    "timeZone": "America/Bogota",
    "offsetStart": -18000,
    "offsetEnd": -18000,
    "currentlyRunning": False,
}
UPDATE = {"description": "Tarea corregida", "endDate": "2025-07-15T11:00:00Z"}
APPROVE = {"aprobado": True, "observacion": "Se ajustó correctamente el horario"}
USER_CREATE = {
    "name": "Nuevo Usuario",
    "email": "nuevo@example.com",
    "externalUserId": "U999",
    "hoursPerMonth": 160,
    "enable": True,
}


@pytest.fixture
async def user_id(client: httpx.AsyncClient, db: Database) -> int:
    """A Clockify user (from a webhook), in the default organization, whose workspace ws001
    its coordinators registered as ActionTracker."""
    await deliver(client, db, "end", entry())
    async with db.unit_of_work() as session:
        organization = await session.scalar(select(Organization))
        assert organization is not None
        session.add(
            ClockifyWorkspace(id="ws001", organization_id=organization.id, name="ActionTracker")
        )
    users = await client.get("/api-clockify/users/getAll/", headers=SERVICE)
    return int(users.json()[0]["id"])


async def create(client: httpx.AsyncClient, user_id: int) -> dict[str, Any]:
    response = await client.post(
        "/api-clockify/sessions/create", json={**CREATE, "idUser": user_id}, headers=SERVICE
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_create_answers_201_with_the_message_and_the_id(
    client: httpx.AsyncClient, user_id: int
) -> None:
    created = await create(client, user_id)

    assert created["message"] == "Session created"
    assert created["id"] == created["idSesion"]
    assert created["workspaceName"] == "ActionTracker"
    # Today's body is still all there.
    assert (created["external_sesion_id"], created["idUser"], created["duration"]) == (
        "abc123",
        user_id,
        "PT2H",
    )


async def test_update_and_delete_answer_the_seed_messages(
    client: httpx.AsyncClient, user_id: int
) -> None:
    session_id = (await create(client, user_id))["idSesion"]

    updated = await client.put(
        f"/api-clockify/sessions/update/{session_id}", json=UPDATE, headers=SERVICE
    )
    deleted = await client.delete(f"/api-clockify/sessions/delete/{session_id}", headers=SERVICE)

    assert updated.status_code == 200, updated.text
    assert updated.json()["message"] == "Session updated"
    assert (updated.json()["description"], updated.json()["duration"]) == (
        "Tarea corregida",
        "PT3H",
    )
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["message"] == "Session deleted"
    assert (deleted.json()["idSesion"], deleted.json()["enable"]) == (session_id, False)


@pytest.mark.parametrize(
    ("body", "message", "status"),
    [
        (APPROVE, "Sesión aprobada correctamente", "APROBADO"),
        ({"aprobado": False}, "Sesión reprobada correctamente", "REPROBADO"),
    ],
)
async def test_approve_answers_the_seed_message(
    client: httpx.AsyncClient, db: Database, body: dict[str, Any], message: str, status: str
) -> None:
    entry_id = "6650aa00aa00aa00aa00e001"
    await deliver(client, db, "end", entry(entry_id))
    await deliver(client, db, "edit", entry(entry_id, end="2026-11-02T18:00:00Z", duration="PT3H"))

    response = await client.post(
        "/api-clockify/sessions/approve",
        params={"externalSesionId": entry_id},
        json=body,
        headers=SERVICE,
    )

    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["message"], answer["status"]) == (message, status)
    assert answer["externalSesionId"] == entry_id


async def test_user_delete_answers_the_seed_message(
    client: httpx.AsyncClient, db: Database
) -> None:
    await deliver(client, db, "end", entry())  # the default organization exists
    created = await client.post("/api-clockify/users/create/", json=USER_CREATE, headers=SERVICE)
    assert created.status_code == 201, created.text

    deleted = await client.delete("/api-clockify/users/deleteByExternalId/U999", headers=SERVICE)

    assert deleted.status_code == 200, deleted.text
    answer = deleted.json()
    assert answer["message"] == "User deleted"
    assert (answer["ExternalUserId"], answer["enable"]) == ("U999", False)


async def test_every_session_object_has_a_workspace_name(
    client: httpx.AsyncClient, db: Database, user_id: int
) -> None:
    """ws001 has a registered name; the webhook's workspace has none, so its organization's
    name stands in (the first implementation printed a fixed ActionTracker)."""
    created = await create(client, user_id)
    async with db.unit_of_work() as session:
        webhook_session = await session.scalar(
            select(ClockifySession).where(ClockifySession.external_id != "abc123")
        )
        organization = await session.scalar(select(Organization))
    assert webhook_session is not None
    assert organization is not None
    expected = {"abc123": "ActionTracker", webhook_session.external_id: organization.name}

    answers = [
        (await client.get("/api-clockify/sessions/getAll", headers=SERVICE)).json(),
        (await client.get(f"/api-clockify/sessions/getByUser/{user_id}", headers=SERVICE)).json(),
        [
            (
                await client.get(
                    f"/api-clockify/sessions/getById/{created['idSesion']}", headers=SERVICE
                )
            ).json()
        ],
        (
            await client.get(
                "/api-clockify/sessions/search/",
                params={"external_sesion_id": "abc123"},
                headers=SERVICE,
            )
        ).json(),
    ]
    for sessions in answers:
        assert sessions
        for session in sessions:
            assert session["workspaceName"] == expected[session["externalSesionId"]]


async def test_a_workspace_named_by_another_organization_is_not_shown(
    client: httpx.AsyncClient, db: Database, user_id: int
) -> None:
    """The same workspace id registered by another organization: its name is not ours."""
    other = await create_organization(db, "Otra")
    async with db.unit_of_work() as session:
        session.add(ClockifyWorkspace(id="ws002", organization_id=other.id, name="Secreto"))
        ours = await session.scalar(select(Organization).where(Organization.id != other.id))
    assert ours is not None

    unnamed = {key: value for key, value in CREATE.items() if key != "workspaceName"}
    created = await client.post(
        "/api-clockify/sessions/create",
        json={**unnamed, "idUser": user_id, "idWorkspace": "ws002", "external_sesion_id": "x2"},
        headers=SERVICE,
    )

    assert created.status_code == 201, created.text
    assert created.json()["workspaceName"] == ours.name


async def test_the_workspace_name_sent_with_a_session_made_by_hand_is_answered_back(
    client: httpx.AsyncClient, user_id: int
) -> None:
    response = await client.post(
        "/api-clockify/sessions/create",
        json={**CREATE, "idUser": user_id, "workspaceName": "Oficina\nNorte "},
        headers=SERVICE,
    )
    assert response.status_code == 201, response.text
    session_id = response.json()["idSesion"]

    read = await client.get(f"/api-clockify/sessions/getById/{session_id}", headers=SERVICE)
    assert response.json()["workspaceName"] == read.json()["workspaceName"] == "Oficina Norte"


async def test_binnacle_entries_carry_the_sessions_values_as_of_each_entry(
    client: httpx.AsyncClient, user_id: int
) -> None:
    created = await create(client, user_id)
    session_id = created["idSesion"]
    await client.put(f"/api-clockify/sessions/update/{session_id}", json=UPDATE, headers=SERVICE)
    await client.delete(f"/api-clockify/sessions/delete/{session_id}", headers=SERVICE)

    history = (
        await client.get(
            f"/api-clockify/session-binnacle/getByIdSession/{session_id}", headers=SERVICE
        )
    ).json()

    flat = [
        "idSesionBinnacle", "external_sesion_id", "idSesion", "description", "idUser",
        "projectName", "startDate", "endDate", "createdAt", "modifiedAt", "duration",
        "updatingQuantity", "enable",
    ]  # fmt: skip
    assert [e["event"] for e in history] == ["delete", "update", "create"]
    deleted, updated, first = history
    common = {
        "external_sesion_id": "abc123",
        "idSesion": session_id,
        "idUser": user_id,
        "projectName": "Proyecto Interno",
        "startDate": "2025-07-15T08:00:00Z",
    }
    as_of = {
        "create": {**common, "description": "Tarea manual", "endDate": "2025-07-15T10:00:00Z",
                   "duration": "PT2H", "updatingQuantity": 0, "enable": True},
        "update": {**common, "description": "Tarea corregida",
                   "endDate": "2025-07-15T11:00:00Z", "duration": "PT3H",
                   "updatingQuantity": 1, "enable": True},
        "delete": {**common, "description": "Tarea corregida",
                   "endDate": "2025-07-15T11:00:00Z", "duration": "PT3H",
                   "updatingQuantity": 1, "enable": False},
    }  # fmt: skip
    for entry_ in history:
        assert set(flat) <= set(entry_), entry_
        assert {key: entry_[key] for key in as_of[entry_["event"]]} == as_of[entry_["event"]]
        assert entry_["modifiedAt"] == entry_["createdAt"]
        # The existing fields stay.
        assert {"event", "source", "actor", "changes", "snapshot"} <= set(entry_)
    assert first["idSesionBinnacle"] < updated["idSesionBinnacle"] < deleted["idSesionBinnacle"]

    one = await client.get(
        f"/api-clockify/session-binnacle/getById/{updated['idSesionBinnacle']}", headers=SERVICE
    )
    assert one.json() == updated
    found = await client.get(
        "/api-clockify/session-binnacle/search/",
        params={"external_sesion_id": "abc123"},
        headers=SERVICE,
    )
    assert found.json() == history
