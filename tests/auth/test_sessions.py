"""Browser sessions: cookies, /me, logout revocation, refresh rotation and reuse detection."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from http.cookies import SimpleCookie

import httpx
import jwt
import pytest

from clockify_tracker.config import Settings
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.time import utcnow
from clockify_tracker.main import create_app
from clockify_tracker.models import Organization, Role
from tests.fixtures.app import client_for
from tests.support.factories import PASSWORD, create_account, create_organization, login


@pytest.fixture
async def acme(db: Database) -> Organization:
    organization = await create_organization(db, "Acme")
    await create_account(db, "ana@example.com", organization=organization)
    return organization


def cookie_header(name: str, value: str) -> dict[str, str]:
    """A cookie sent by hand, as a client replaying a copied cookie would."""
    return {"Cookie": f"{name}={value}"}


def set_cookies(response: httpx.Response) -> dict[str, SimpleCookie]:
    cookies = {}
    for header in response.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        cookies.update(dict.fromkeys(parsed, parsed))
    return cookies


async def test_login_sets_httponly_lax_secure_cookies_with_their_lifetimes(
    client: httpx.AsyncClient, acme: Organization
) -> None:
    response = await login(client)

    assert response.status_code == 200
    cookies = set_cookies(response)
    access, refresh = (
        cookies["access_token"]["access_token"],
        cookies["refresh_token"]["refresh_token"],
    )
    for morsel in (access, refresh):
        assert morsel["httponly"] is True
        assert morsel["secure"] is True
        assert morsel["samesite"].lower() == "lax"
    assert access["max-age"] == "900"
    assert refresh["max-age"] == str(7 * 24 * 3600)
    assert refresh["path"] == "/api/auth", "the refresh cookie goes nowhere else"
    body = response.json()
    assert body["success"] is True
    assert body["data"]["organizacionActiva"]["nombre"] == "Acme"
    assert body["data"]["tipo_usuario"] == "administrador"


async def test_development_cookies_are_not_secure(db: Database, acme: Organization) -> None:
    async for client in client_for(create_app(Settings(environment="development"))):
        cookies = set_cookies(await login(client))
        assert cookies["access_token"]["access_token"]["secure"] == ""


async def test_access_token_claims_name_the_account_and_active_organization(
    client: httpx.AsyncClient, acme: Organization
) -> None:
    await login(client)
    claims = jwt.decode(client.cookies["access_token"], options={"verify_signature": False})

    assert claims["email"] == "ana@example.com"
    assert claims["organizacionActiva"]["nombre"] == "Acme"
    assert claims["organizacionActiva"]["database"] == "org_acme"
    assert claims["rol"] == "administrador"
    assert claims["iss"] == "clockify-tracker"
    assert claims["exp"] - claims["iat"] == 900
    assert uuid.UUID(claims["jti"])


async def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: httpx.AsyncClient, acme: Organization
) -> None:
    wrong_password = await login(client, password="not-the-password")
    unknown_email = await login(client, email="nobody@example.com")

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert "set-cookie" not in wrong_password.headers


async def test_inactive_account_cannot_log_in(client: httpx.AsyncClient, db: Database) -> None:
    await create_account(db, "gone@example.com", active=False)
    assert (await login(client, email="gone@example.com")).status_code == 401


async def test_email_is_case_insensitive(client: httpx.AsyncClient, acme: Organization) -> None:
    assert (await login(client, email="ANA@Example.com")).status_code == 200


async def test_me_shows_account_organizations_and_roles(
    client: httpx.AsyncClient, db: Database, acme: Organization
) -> None:
    await login(client)
    response = await client.get("/api/auth/me")

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["cuenta"]["email"] == "ana@example.com"
    assert [(o["nombre"], o["rol"]) for o in data["organizaciones"]] == [("Acme", "administrador")]


async def test_me_without_a_session_is_401_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["success"] is False
    assert response.json()["message"]


async def test_me_accepts_a_bearer_access_token(
    client: httpx.AsyncClient, acme: Organization
) -> None:
    await login(client)
    token = client.cookies["access_token"]
    client.cookies.clear()

    response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


async def test_logout_makes_the_old_cookie_fail(
    client: httpx.AsyncClient, acme: Organization
) -> None:
    await login(client)
    old_access = client.cookies["access_token"]

    response = await client.post("/api/auth/logout")
    assert response.status_code == 200
    assert "access_token" not in client.cookies

    replay = await client.get("/api/auth/me", headers=cookie_header("access_token", old_access))
    assert replay.status_code == 401


async def test_logout_without_a_session_is_harmless(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/auth/logout")).status_code == 200


async def test_refresh_rotates_both_cookies(client: httpx.AsyncClient, acme: Organization) -> None:
    await login(client)
    first_access, first_refresh = client.cookies["access_token"], client.cookies["refresh_token"]

    response = await client.post("/api/auth/refresh")

    assert response.status_code == 200
    assert client.cookies["access_token"] != first_access
    assert client.cookies["refresh_token"] != first_refresh
    assert (await client.get("/api/auth/me")).status_code == 200


async def test_a_spent_refresh_token_presented_again_revokes_the_whole_family(
    client: httpx.AsyncClient, acme: Organization
) -> None:
    await login(client)
    stolen_refresh = client.cookies["refresh_token"]
    assert (await client.post("/api/auth/refresh")).status_code == 200
    rotated_access = client.cookies["access_token"]
    rotated_refresh = client.cookies["refresh_token"]

    reuse = await client.post(
        "/api/auth/refresh", headers=cookie_header("refresh_token", stolen_refresh)
    )
    assert reuse.status_code == 401

    # The legitimate session that rotated is gone too: refresh and access alike.
    client.cookies.clear()
    again = await client.post(
        "/api/auth/refresh", headers=cookie_header("refresh_token", rotated_refresh)
    )
    assert again.status_code == 401
    me = await client.get("/api/auth/me", headers=cookie_header("access_token", rotated_access))
    assert me.status_code == 401


async def test_refresh_without_cookie_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/auth/refresh")).status_code == 401


async def test_new_password_ends_refresh_tokens(
    client: httpx.AsyncClient, db: Database, acme: Organization
) -> None:
    from clockify_tracker.auth import service

    await login(client)
    async with db.unit_of_work() as session:
        await service.set_password(
            session, email="ana@example.com", password="another-long-password"
        )

    assert (await client.post("/api/auth/refresh")).status_code == 401
    assert (await login(client, password=PASSWORD)).status_code == 401
    assert (await login(client, password="another-long-password")).status_code == 200


def forge(claims_override: dict[str, object], *, key: str, algorithm: str = "HS256") -> str:
    now = int(utcnow().timestamp())
    claims = {
        "iss": "clockify-tracker", "sub": "1", "typ": "access", "jti": str(uuid.uuid4()),
        "fam": str(uuid.uuid4()), "iat": now, "exp": now + 600, "email": "x@example.com",
    }  # fmt: skip
    claims.update(claims_override)
    return jwt.encode(claims, key, algorithm=algorithm)


@pytest.fixture
async def anonymous(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(create_app(Settings())):
        yield client


@pytest.mark.parametrize(
    "case",
    ["expired", "other key", "alg none", "malformed", "refresh as access", "wrong issuer"],
)
async def test_forged_or_stale_tokens_are_401_json(
    anonymous: httpx.AsyncClient, acme: Organization, case: str
) -> None:
    key = Settings().jwt_secret.get_secret_value()
    token = {
        "expired": forge({"exp": int(utcnow().timestamp()) - 5}, key=key),
        "other key": forge({}, key="another-secret-another-secret-another"),
        "alg none": jwt.encode(
            {"iss": "clockify-tracker", "sub": "1", "typ": "access"}, None, algorithm="none"
        ),
        "malformed": "not.a.jwt",
        "refresh as access": forge({"typ": "refresh"}, key=key),
        "wrong issuer": forge({"iss": "someone-else"}, key=key),
    }[case]

    response = await anonymous.get("/api/auth/me", headers=cookie_header("access_token", token))

    assert response.status_code == 401
    assert response.json()["success"] is False


async def test_a_valid_token_made_with_our_key_is_accepted(
    anonymous: httpx.AsyncClient, db: Database, acme: Organization
) -> None:
    """The control for the forged-token cases: the same forging with the right claims works."""
    from sqlalchemy import select

    from clockify_tracker.models import Account

    async with db.unit_of_work() as session:
        account_id = await session.scalar(select(Account.id))
    token = forge({"sub": str(account_id)}, key=Settings().jwt_secret.get_secret_value())

    response = await anonymous.get("/api/auth/me", headers=cookie_header("access_token", token))
    assert response.status_code == 200


async def test_switching_organization_changes_the_active_one(
    client: httpx.AsyncClient, db: Database, acme: Organization
) -> None:
    from tests.support.factories import add_membership

    globex = await create_organization(db, "Globex Corporación")
    async with db.unit_of_work() as session:
        from clockify_tracker.auth import repository

        ana = await repository.find_account_by_email(session, "ana@example.com")
    assert ana is not None
    await add_membership(db, ana, globex, Role.CONTADOR)
    await login(client)

    response = await client.post(
        "/api/auth/organizacion-activa", json={"organizacion": "org_globex_corporacion"}
    )

    assert response.status_code == 200
    assert response.json()["data"]["organizacionActiva"]["nombre"] == "Globex Corporación"
    me = (await client.get("/api/auth/me")).json()["data"]
    assert me["organizacionActiva"]["nombre"] == "Globex Corporación"
    assert me["tipo_usuario"] == "contador"


async def test_switching_to_a_foreign_or_unknown_organization_is_refused(
    client: httpx.AsyncClient, db: Database, acme: Organization
) -> None:
    await create_organization(db, "Initech")
    await login(client)

    foreign = await client.post("/api/auth/organizacion-activa", json={"organizacion": "Initech"})
    unknown = await client.post("/api/auth/organizacion-activa", json={"organizacion": "Nope"})

    assert foreign.status_code == 403
    assert foreign.json()["message"] == "No tienes acceso a esta organización"
    assert unknown.status_code == 404
