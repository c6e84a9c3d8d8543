"""The coordinators' session and binnacle routes, as a coordinator uses them."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from clockify_tracker.kit.db import Database
from clockify_tracker.models import ClockifySession, ClockifyUser, ClockifyWorkspace, Role
from tests.support.clockify import deliver, entry
from tests.support.factories import create_account, create_organization, login

SERVICE = {"Authorization": "test-secret-token-value"}
WORKSPACE = "6650cc00cc00cc00cc00cc01"


@dataclass(frozen=True)
class World:
    in_review: str  # external id of a session put in review by two edits
    approved: str  # external id of a plain stopped session


@pytest.fixture
async def world(client: httpx.AsyncClient, db: Database) -> World:
    acme = await create_organization(db, "Acme")
    async with db.unit_of_work() as session:
        session.add(ClockifyWorkspace(id=WORKSPACE, organization_id=acme.id, name="Acme"))
    await create_account(db, "coord@example.com", organization=acme, role=Role.COORDINADOR)
    await create_account(db, "conta@example.com", organization=acme, role=Role.CONTADOR)

    review = "6650aa00aa00aa00aa00b001"
    await deliver(client, db, "end", entry(review, description="Planeación semanal"))
    await deliver(client, db, "edit", entry(review, end="2026-11-02T17:03:00Z", duration="PT2H3M"))
    await deliver(client, db, "edit", entry(review, end="2026-11-02T18:00:00Z", duration="PT3H"))
    plain = "6650aa00aa00aa00aa00b002"
    await deliver(
        client,
        db,
        "end",
        entry(
            plain,
            start="2026-11-05T15:00:00Z",
            end="2026-11-05T16:00:00Z",
            duration="PT1H",
            description="Soporte",
        ),
    )
    async with db.unit_of_work() as session:
        user = await session.scalar(select(ClockifyUser))
        assert user is not None
        user.email = "Ana@Example.com"
    return World(in_review=review, approved=plain)


async def test_a_coordinator_finds_a_week_sees_why_in_review_and_approves_it(
    client: httpx.AsyncClient, world: World
) -> None:
    """The issue's "done when", through the routes Swagger UI calls."""
    assert (await login(client, "coord@example.com")).status_code == 200

    week = await client.get(
        "/api-clockify/sessions/search/",
        params={"email": "ana@example.com", "fromDate": "2026-11-02", "toDate": "2026-11-08"},
    )
    assert week.status_code == 200
    assert week.headers["x-total-count"] == "2"
    in_review = next(s for s in week.json() if s["status"] == "EN OBSERVACION")
    assert in_review["externalSesionId"] == world.in_review
    assert in_review["updatingQuantity"] == 2

    history = await client.get(
        f"/api-clockify/session-binnacle/getByIdSession/{in_review['idSesion']}"
    )
    assert [e["event"] for e in history.json()] == ["edit", "edit", "end"], "newest first"
    why = history.json()[0]
    assert {"field": "status", "old": "APROBADO", "new": "EN OBSERVACION"} in why["changes"]

    approved = await client.post(
        "/api-clockify/sessions/approve",
        params={"externalSesionId": world.in_review},
        json={"aprobado": True, "observacion": "Se ajustó correctamente el horario"},
    )
    assert approved.status_code == 200, approved.text
    session = approved.json()
    assert session["status"] == "APROBADO"
    assert session["observation"] == "Se ajustó correctamente el horario"
    assert session["validDuration"] == "PT3H"

    recorded = (
        await client.get(f"/api-clockify/session-binnacle/getByIdSession/{in_review['idSesion']}")
    ).json()[0]
    assert (recorded["event"], recorded["source"], recorded["actor"]) == (
        "approval",
        "api",
        "coord@example.com",
    )


async def test_rejecting_keeps_the_last_accepted_times(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        "/api-clockify/sessions/approve",
        params={"externalSesionId": world.in_review},
        json={"aprobado": False},
        headers=SERVICE,
    )
    assert response.status_code == 200
    assert response.json()["status"] == "REPROBADO"
    assert response.json()["validDuration"] == "PT2H3M", "the first small edit was accepted"


async def test_only_sessions_in_review_can_be_decided(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        "/api-clockify/sessions/approve",
        params={"externalSesionId": world.approved},
        json={"aprobado": True},
        headers=SERVICE,
    )
    assert response.status_code == 409


async def test_an_observation_over_500_characters_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        "/api-clockify/sessions/approve",
        params={"externalSesionId": world.in_review},
        json={"aprobado": True, "observacion": "x" * 501},
        headers=SERVICE,
    )
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "body.observacion"


async def test_a_read_only_role_cannot_approve(client: httpx.AsyncClient, world: World) -> None:
    await login(client, "conta@example.com")
    response = await client.post(
        "/api-clockify/sessions/approve",
        params={"externalSesionId": world.in_review},
        json={"aprobado": True},
    )
    assert response.status_code == 403
    assert (await client.get("/api-clockify/sessions/getAll")).status_code == 200


async def test_an_approval_survives_later_webhooks(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    await client.post(
        "/api-clockify/sessions/approve",
        params={"externalSesionId": world.in_review},
        json={"aprobado": True},
        headers=SERVICE,
    )
    await deliver(
        client,
        db,
        "edit",
        entry(world.in_review, end="2026-11-02T18:00:00Z", duration="PT3H", description="otra"),
    )
    async with db.unit_of_work() as session:
        row = await session.scalar(
            select(ClockifySession).where(ClockifySession.external_id == world.in_review)
        )
    assert row is not None
    assert row.valid_duration_seconds == 3 * 3600
    assert row.updating_quantity == 3


async def test_get_by_id_returns_the_session_and_404_otherwise(
    client: httpx.AsyncClient, world: World
) -> None:
    all_sessions = (await client.get("/api-clockify/sessions/getAll", headers=SERVICE)).json()
    session_id = all_sessions[0]["idSesion"]

    found = await client.get(f"/api-clockify/sessions/getById/{session_id}", headers=SERVICE)
    with_slash = await client.get(f"/api-clockify/sessions/getById/{session_id}/", headers=SERVICE)
    missing = await client.get("/api-clockify/sessions/getById/999999", headers=SERVICE)

    assert found.status_code == with_slash.status_code == 200
    assert found.json() == with_slash.json()
    assert missing.status_code == 404


async def test_both_slash_forms_answer_without_redirect(
    client: httpx.AsyncClient, world: World
) -> None:
    for path in (
        "/api-clockify/sessions/getAll",
        "/api-clockify/sessions/getAll/",
        "/api-clockify/session-binnacle/getAll",
        "/api-clockify/session-binnacle/getAll/",
    ):
        response = await client.get(path, headers=SERVICE)
        assert response.status_code == 200, path


async def test_by_email_any_case_and_by_user(client: httpx.AsyncClient, world: World) -> None:
    by_email = await client.get(
        "/api-clockify/sessions/getByEmail/ANA@example.COM", headers=SERVICE
    )
    assert len(by_email.json()) == 2
    user_id = by_email.json()[0]["idUser"]
    by_user = await client.get(f"/api-clockify/sessions/getByUser/{user_id}", headers=SERVICE)
    assert len(by_user.json()) == 2
    nobody = await client.get(
        "/api-clockify/sessions/getByEmail/nadie@example.com", headers=SERVICE
    )
    assert nobody.json() == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"projectName": "kabisa"}, 2),
        ({"description": "SOPORTE"}, 1),
        ({"startDate": "2026-11-05"}, 1),
        ({"startDate": "2026-11-05", "description": "planeación"}, 0),
        ({"status": "en observacion"}, 1),
        ({"projectName": "no existe"}, 0),
        ({"projectName": "%"}, 0),  # matched literally, never "everything"
    ],
)
async def test_search_filters_combine_and_ignore_case(
    client: httpx.AsyncClient, world: World, params: dict[str, str], expected: int
) -> None:
    response = await client.get("/api-clockify/sessions/search/", params=params, headers=SERVICE)
    assert response.status_code == 200
    assert len(response.json()) == expected
    assert response.headers["x-total-count"] == str(expected)


@pytest.mark.parametrize("bad", ["05/11/2026", "2026-13-01", "2026-11-5", "ayer"])
async def test_search_dates_are_yyyy_mm_dd_only(
    client: httpx.AsyncClient, world: World, bad: str
) -> None:
    response = await client.get(
        "/api-clockify/sessions/search/", params={"startDate": bad}, headers=SERVICE
    )
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "startDate"


async def test_search_without_filters_is_refused_not_everything(
    client: httpx.AsyncClient, world: World
) -> None:
    assert (await client.get("/api-clockify/sessions/search/", headers=SERVICE)).status_code == 422


async def test_lists_are_paged_newest_first_with_the_total(
    client: httpx.AsyncClient, world: World
) -> None:
    first = await client.get("/api-clockify/sessions/getAll", params={"limit": 1}, headers=SERVICE)
    second = await client.get(
        "/api-clockify/sessions/getAll", params={"limit": 1, "offset": 1}, headers=SERVICE
    )
    assert first.headers["x-total-count"] == "2"
    assert first.json()[0]["externalSesionId"] == world.approved, "Nov 5 before Nov 2"
    assert second.json()[0]["externalSesionId"] == world.in_review
    too_many = await client.get(
        "/api-clockify/sessions/getAll", params={"limit": 1001}, headers=SERVICE
    )
    assert too_many.status_code == 422


async def test_binnacle_search_and_get_by_id(client: httpx.AsyncClient, world: World) -> None:
    found = await client.get(
        "/api-clockify/session-binnacle/search/",
        params={"external_sesion_id": world.approved},
        headers=SERVICE,
    )
    assert [e["event"] for e in found.json()] == ["end"]
    entry_id = found.json()[0]["idSesionBinnacle"]
    one = await client.get(f"/api-clockify/session-binnacle/getById/{entry_id}", headers=SERVICE)
    assert one.json()["snapshot"]["description"] == "Soporte"
    assert (
        await client.get("/api-clockify/session-binnacle/getById/999999", headers=SERVICE)
    ).status_code == 404


async def test_without_credentials_everything_is_401(
    client: httpx.AsyncClient, world: World
) -> None:
    for path in ("/api-clockify/sessions/getAll", "/api-clockify/session-binnacle/getAll/"):
        assert (await client.get(path)).status_code == 401
        assert (await client.get(path, headers={"Authorization": "wrong"})).status_code == 401


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api-clockify/sessions/getById/570272936048520593408", {}),
        ("/api-clockify/sessions/getAll", {"offset": "77920058991205247391201492992"}),
        ("/api-clockify/sessions/search/", {"projectName": "a\x00b"}),
        ("/api-clockify/users/getByEmail/a%00b@example.com", {}),
    ],
)
async def test_values_postgresql_would_refuse_are_422_not_500(
    client: httpx.AsyncClient, world: World, path: str, params: dict[str, str]
) -> None:
    """Found by the schema fuzz run: beyond-bigint integers and NUL characters."""
    response = await client.get(path, params=params, headers=SERVICE)
    assert response.status_code == 422, response.text
