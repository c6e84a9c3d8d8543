"""The browser frontend's auth calls, with its exact bodies, read as it reads them
(AuthContext.tsx: login, /me, refresh, switch-organization, register)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import jwt
import pytest
from sqlalchemy import select

from clockify_tracker.config import settings as env_settings
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.time import utcnow
from clockify_tracker.models import Account, MembershipEvent, Organization, Role
from tests.support.factories import PASSWORD, add_membership, create_account, create_organization
from tests.support.frontend import Frontend, frontend_for, frontend_settings

# What AuthContext's `User` type reads from `data`.
USER_FIELDS = {"userId", "nombre", "correo", "tipo_usuario", "organizaciones", "organizacionActiva"}


@pytest.fixture
async def orgs(db: Database) -> tuple[Organization, Organization]:
    alfa = await create_organization(db, "Alfa Contable")
    beta = await create_organization(db, "Beta Contable")
    ana = await create_account(db, "ana@example.com", organization=alfa)
    await add_membership(db, ana, beta, Role.CONTADOR)
    return alfa, beta


@pytest.fixture
async def browser(db: Database) -> AsyncIterator[Frontend]:
    async for frontend in frontend_for(
        frontend_settings(login_max_failures_per_account=3, registration_max_per_address=3)
    ):
        yield frontend


def assert_session_object(data: dict[str, object]) -> None:
    assert set(data) >= USER_FIELDS
    assert isinstance(data["userId"], int)
    assert data["tipo_usuario"] in {"administrador", "contador"}
    for organization in data["organizaciones"]:  # type: ignore[attr-defined]
        assert {"nombre", "database", "rol", "esActiva"} <= set(organization)
        assert organization["rol"] in {"administrador", "contador"}
    assert {"nombre", "database"} <= set(data["organizacionActiva"])  # type: ignore[arg-type]


async def test_login_with_the_frontends_spanish_fields_answers_its_session_object(
    browser: Frontend, orgs: tuple[Organization, Organization]
) -> None:
    response = await browser.login("ana@example.com", PASSWORD)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert_session_object(data)
    assert data["nombre"] == "Ana"  # "Has iniciado sesión como Ana", not "undefined"
    assert data["correo"] == "ana@example.com"
    assert data["tipo_usuario"] == "administrador"
    assert data["organizacionActiva"]["database"] == "org_alfa_contable"
    assert [(o["database"], o["rol"], o["esActiva"]) for o in data["organizaciones"]] == [
        ("org_alfa_contable", "administrador", True),
        ("org_beta_contable", "contador", False),
    ]
    assert data["cuenta"]["email"] == "ana@example.com", "today's fields stay beside"
    assert {"access_token", "refresh_token"} <= set(browser.http.cookies.keys())

    me = (await browser.get("/auth/me")).json()["data"]
    assert me["userId"] == data["userId"]
    assert me["organizacionActiva"]["database"] == "org_alfa_contable"


async def test_both_spellings_share_the_errors_and_the_failure_limit(
    browser: Frontend, orgs: tuple[Organization, Organization]
) -> None:
    spanish = await browser.login("ana@example.com", "wrong-password-1")
    english = await browser.post(
        "/auth/login", {"email": "ana@example.com", "password": "wrong-password-2"}
    )
    assert spanish.status_code == english.status_code == 401
    assert spanish.json()["message"] == english.json()["message"]

    third = await browser.login("ana@example.com", "wrong-password-3")
    assert third.status_code == 401
    # Three failures (the limit here), whichever spelling: the right password is refused too.
    locked = await browser.post("/auth/login", {"email": "ana@example.com", "password": PASSWORD})
    assert locked.status_code == 429

    invalid = await browser.post("/auth/login", {"correo": "no-es-correo", "contraseña": "x"})
    assert invalid.status_code == 422
    assert "correo" in invalid.json()["message"]
    assert invalid.json()["message"].startswith("Datos inválidos")


async def test_a_coordinator_is_a_contador_to_a_two_role_client(
    db: Database, browser: Frontend
) -> None:
    gamma = await create_organization(db, "Gamma")
    await create_account(db, "coord@example.com", organization=gamma, role=Role.COORDINADOR)

    data = (await browser.login("coord@example.com", PASSWORD)).json()["data"]

    assert data["tipo_usuario"] == "contador"
    assert data["rolExacto"] == "coordinador"
    assert data["organizaciones"][0]["rol"] == "contador"
    assert data["organizaciones"][0]["rolExacto"] == "coordinador"


async def test_switch_organization_by_database_answers_and_sets_the_new_access_cookie(
    browser: Frontend, orgs: tuple[Organization, Organization]
) -> None:
    await browser.login("ana@example.com", PASSWORD)
    before = browser.http.cookies["access_token"]

    response = await browser.post("/auth/switch-organization", {"database": "org_beta_contable"})

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["organizacionActiva"]["nombre"] == "Beta Contable"
    assert data["organizacionActiva"]["database"] == "org_beta_contable"
    assert [o["esActiva"] for o in data["organizaciones"]] == [False, True]
    assert browser.http.cookies["access_token"] != before
    me = (await browser.get("/auth/me")).json()["data"]
    assert me["organizacionActiva"]["database"] == "org_beta_contable"
    assert me["tipo_usuario"] == "contador"

    # The name and the slug name it too, as for /organizacion-activa.
    for reference in ("Alfa Contable", "alfa_contable"):
        again = await browser.post("/auth/switch-organization", {"database": reference})
        assert again.json()["data"]["organizacionActiva"]["database"] == "org_alfa_contable"


async def test_switch_organization_refusals_match_organizacion_activa(
    db: Database, browser: Frontend, orgs: tuple[Organization, Organization]
) -> None:
    await create_organization(db, "Ajena")
    await browser.login("ana@example.com", PASSWORD)

    for body_by_database, body_by_name in (
        ({"database": "org_ajena"}, {"organizacion": "org_ajena"}),
        ({"database": "org_no_existe"}, {"organizacion": "org_no_existe"}),
        ({"database": ""}, {"organizacion": ""}),
    ):
        new = await browser.post("/auth/switch-organization", body_by_database)
        old = await browser.post("/auth/organizacion-activa", body_by_name)
        assert new.status_code == old.status_code
        assert new.status_code in {403, 404, 422}
        assert new.json()["success"] is False
        assert new.json()["message"]
    assert (await browser.post("/auth/switch-organization", {})).status_code == 422
    me = (await browser.get("/auth/me")).json()["data"]
    assert me["organizacionActiva"]["database"] == "org_alfa_contable", "nothing changed"


def _expired_copy(token: str) -> str:
    """The same access token as it is once its 15 minutes have passed."""
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["exp"] = int((utcnow() - timedelta(minutes=1)).timestamp())
    secret = env_settings.jwt_secret.get_secret_value()
    return jwt.encode(claims, secret, algorithm="HS256")


@pytest.mark.parametrize("access", ["missing", "expired"])
async def test_me_renews_a_session_whose_access_cookie_is_gone_or_expired(
    browser: Frontend, orgs: tuple[Organization, Organization], access: str
) -> None:
    await browser.login("ana@example.com", PASSWORD)
    old_refresh = browser.http.cookies["refresh_token"]
    if access == "missing":
        browser.drop_cookie("access_token")
    else:
        browser.replace_cookie("access_token", _expired_copy(browser.http.cookies["access_token"]))

    response = await browser.get("/auth/me")

    assert response.status_code == 200, response.text
    assert response.json()["data"]["correo"] == "ana@example.com"
    set_cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith("access_token=") for c in set_cookies)
    assert any(c.startswith("refresh_token=") for c in set_cookies)
    assert browser.http.cookies["refresh_token"] != old_refresh
    # The renewed cookies work on the next call as any login's do.
    assert (await browser.get("/auth/users")).status_code == 200


async def test_a_spent_refresh_cookie_presented_to_me_ends_the_whole_session(
    browser: Frontend, orgs: tuple[Organization, Organization]
) -> None:
    await browser.login("ana@example.com", PASSWORD)
    copied = browser.http.cookies["refresh_token"]
    browser.drop_cookie("access_token")
    assert (await browser.get("/auth/me")).status_code == 200  # rotated: `copied` is spent

    legitimate = httpx.Cookies(browser.http.cookies)
    browser.http.cookies.clear()
    replay = await browser.http.get("/api/auth/me", headers={"Cookie": f"refresh_token={copied}"})
    browser.http.cookies = legitimate
    assert replay.status_code == 401
    assert replay.json()["success"] is False

    # The legitimate browser's renewed session went with it (reuse revokes the family).
    browser.drop_cookie("access_token")
    assert (await browser.get("/auth/me")).status_code == 401
    assert (await browser.post("/auth/refresh")).status_code == 401


async def test_me_without_any_cookie_is_still_401(browser: Frontend) -> None:
    response = await browser.get("/auth/me")
    assert response.status_code == 401
    assert response.json()["message"]


async def test_registration_is_off_by_default_with_a_message_the_form_shows(
    db: Database, browser: Frontend
) -> None:
    response = await browser.post("/auth/register", _registration())

    assert response.status_code == 403
    assert "registro" in response.json()["message"].lower()
    async with db.unit_of_work() as session:
        assert (await session.scalars(select(Account))).all() == []
        assert (await session.scalars(select(Organization))).all() == []


def _registration(**overrides: str) -> dict[str, str]:
    """The sign-up form's body, field for field (Auth.tsx -> AuthContext.register)."""
    return {
        "organizacion": "Despacho Núñez",
        "nombre": "Rosa Núñez",
        "fecha_nacimiento": "1985-07-21",
        "contraseña": "una-clave-larga-1",
        "telefono": "55 1234 5678",
        "correo": "rosa@example.com",
        **overrides,
    }


@pytest.fixture
async def open_registration(db: Database) -> AsyncIterator[Frontend]:
    async for frontend in frontend_for(
        frontend_settings(registration_enabled=True, registration_max_per_address=4)
    ):
        yield frontend


async def test_registration_creates_the_organization_with_its_administrator_logged_in(
    db: Database, open_registration: Frontend
) -> None:
    browser = open_registration
    response = await browser.post("/auth/register", _registration())

    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert_session_object(data)
    assert data["nombre"] == "Rosa Núñez"
    assert data["tipo_usuario"] == "administrador"
    assert data["organizacionActiva"] == {
        **data["organizacionActiva"],
        "nombre": "Despacho Núñez",
        "database": "org_despacho_nunez",
    }
    assert data["cuenta"]["telefono"] == "55 1234 5678"
    assert data["cuenta"]["fecha_nacimiento"] == "1985-07-21"
    # Straight to the main screen: the cookies are a logged-in session.
    assert (await browser.get("/auth/me")).json()["data"]["correo"] == "rosa@example.com"
    members = (await browser.get("/auth/users")).json()["data"]
    assert [(u["correo"], u["tipo_usuario"]) for u in members["users"]] == [
        ("rosa@example.com", "administrador")
    ]
    async with db.unit_of_work() as session:
        events = (await session.scalars(select(MembershipEvent))).all()
    assert [(e.action, e.new_role, e.actor) for e in events] == [
        ("cuenta_creada", "administrador", "registro")
    ]
    # The new password works on the login form too.
    browser.drop_cookie("access_token")
    assert (await browser.login("rosa@example.com", "una-clave-larga-1")).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"contraseña": "corta"}, 400, "contraseña"),
        ({"correo": "rosa"}, 422, "correo"),
        ({"fecha_nacimiento": "2999-01-01"}, 422, "fecha_nacimiento"),
        ({"fecha_nacimiento": "21/07/1985"}, 422, "fecha_nacimiento"),
        ({"telefono": "llámame"}, 422, "telefono"),
        ({"organizacion": "  \n "}, 400, "organizacion"),
        ({"nombre": "\n"}, 400, "nombre"),
    ],
)
async def test_registration_refuses_bad_input_naming_the_field_and_creates_nothing(
    db: Database,
    open_registration: Frontend,
    overrides: dict[str, str],
    status: int,
    field: str,
) -> None:
    response = await open_registration.post("/auth/register", _registration(**overrides))

    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["message"]
    assert field in {d["field"].removeprefix("body.") for d in body["details"]}
    async with db.unit_of_work() as session:
        assert (await session.scalars(select(Account))).all() == []
        assert (await session.scalars(select(Organization))).all() == []


async def test_registration_conflicts_name_their_field_and_leave_nothing_behind(
    db: Database, open_registration: Frontend
) -> None:
    await create_organization(db, "Despacho Núñez")
    await create_account(db, "otra@example.com")

    taken_org = await open_registration.post("/auth/register", _registration())
    taken_email = await open_registration.post(
        "/auth/register", _registration(organizacion="Otro Despacho", correo="OTRA@example.com")
    )

    assert taken_org.status_code == taken_email.status_code == 409
    assert taken_org.json()["message"]
    assert taken_email.json()["message"]
    async with db.unit_of_work() as session:
        names = (await session.scalars(select(Organization.name))).all()
    assert names == ["Despacho Núñez"], "the refused sign-up's organization was rolled back"


async def test_registrations_from_one_address_are_limited_even_when_concurrent(
    db: Database, open_registration: Frontend
) -> None:
    answers = await asyncio.gather(
        *(
            open_registration.post(
                "/auth/register",
                _registration(organizacion=f"Despacho {i}", correo=f"r{i}@example.com"),
            )
            for i in range(8)
        )
    )

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * 4 + [429] * 4
    assert all(a.headers.get("retry-after") for a in answers if a.status_code == 429)
    async with db.unit_of_work() as session:
        assert len((await session.scalars(select(Organization))).all()) == 4


async def test_routes_of_modules_this_service_lacks_answer_a_clean_404(
    browser: Frontend, orgs: tuple[Organization, Organization]
) -> None:
    await browser.login("ana@example.com", PASSWORD)
    for endpoint in ("/stripe/subscription", "/reportes", "/contribuyentes"):
        response = await browser.get(endpoint)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/json")


async def test_the_four_minute_refresh_and_logout_as_the_frontend_sends_them(
    browser: Frontend, orgs: tuple[Organization, Organization]
) -> None:
    await browser.login("ana@example.com", PASSWORD)
    first = browser.http.cookies["refresh_token"]

    # fetchAPI('/auth/refresh', {method: 'POST'}): a JSON content type and no body at all.
    refreshed = await browser.post("/auth/refresh")
    assert refreshed.status_code == 200, refreshed.text
    assert_session_object(refreshed.json()["data"])
    assert browser.http.cookies["refresh_token"] != first

    logged_out = await browser.post("/auth/logout")
    assert logged_out.status_code == 200
    assert (await browser.get("/auth/me")).status_code == 401
