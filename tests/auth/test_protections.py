"""Origin check, CORS, login rate limits, the service token and organization resolution."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, Query

from clockify_tracker.auth import service
from clockify_tracker.auth.dependencies import CurrentAccount, CurrentPrincipal
from clockify_tracker.auth.principal import ServicePrincipal
from clockify_tracker.config import Settings
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.web import DbSession
from clockify_tracker.local.embedded import free_port
from clockify_tracker.main import create_app
from clockify_tracker.models import Organization, Role
from tests.fixtures.app import client_for
from tests.support.factories import (
    PASSWORD,
    add_membership,
    create_account,
    create_organization,
    login,
)
from tests.support.services import REPO_ROOT

FRONTEND = "https://app.example.com"
SERVICE_TOKEN = "test-secret-token-value"  # SECRET_TOKEN in tests/support/services.py


def probe_app(settings: Settings) -> FastAPI:
    """The service app plus routes that use the auth dependencies as later domains will."""
    app = create_app(settings)

    @app.get("/probe/principal")
    async def principal(caller: CurrentPrincipal) -> dict[str, str]:
        return {"kind": "service" if isinstance(caller, ServicePrincipal) else "account"}

    @app.get("/probe/organization")
    async def organization(
        caller: CurrentAccount,
        session: DbSession,
        organizacion: Annotated[str | None, Query()] = None,
    ) -> dict[str, str | None]:
        access = await service.organization_access(session, caller, organizacion)
        return {"nombre": access.organization.name, "rol": access.role}

    return app


@pytest.fixture
async def acme(db: Database) -> Organization:
    organization = await create_organization(db, "Acme")
    await create_account(db, "ana@example.com", organization=organization)
    return organization


@pytest.fixture
async def web(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        cors_origins=[FRONTEND], login_max_failures_per_account=3, login_max_failures_per_address=5
    )
    async for client in client_for(probe_app(settings)):
        yield client


async def _switch(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.post(
        "/api/auth/organizacion-activa", json={"organizacion": "Acme"}, headers=headers
    )


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"Origin": "https://evil.example.net"}, False),
        ({"Referer": "https://evil.example.net/page"}, False),
        ({"Origin": "null"}, False),
        ({"Origin": FRONTEND}, True),
        ({"Origin": "https://testserver"}, True),  # Swagger UI on the service itself
        ({"Origin": "http://testserver"}, False),  # same host, another scheme
        ({"Referer": "http://testserver/docs"}, False),
        ({}, True),  # not a browser: curl with a cookie jar
    ],
)
async def test_cookie_writes_are_refused_from_foreign_origins(
    web: httpx.AsyncClient, acme: Organization, headers: dict[str, str], allowed: bool
) -> None:
    await login(web)
    response = await _switch(web, headers)
    assert response.status_code == (200 if allowed else 403)


async def test_login_from_a_foreign_origin_is_refused(
    web: httpx.AsyncClient, acme: Organization
) -> None:
    response = await web.post(
        "/api/auth/login",
        json={"email": "ana@example.com", "password": PASSWORD},
        headers={"Origin": "https://evil.example.net"},
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


async def test_cors_allows_credentials_only_for_configured_origins(web: httpx.AsyncClient) -> None:
    def preflight(origin: str) -> dict[str, str]:
        return {"Origin": origin, "Access-Control-Request-Method": "POST"}

    allowed = await web.options("/api/auth/login", headers=preflight(FRONTEND))
    foreign = await web.options("/api/auth/login", headers=preflight("https://evil.example.net"))

    assert allowed.headers["access-control-allow-origin"] == FRONTEND
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "access-control-allow-origin" not in foreign.headers


async def test_too_many_failures_lock_the_account_even_for_the_right_password(
    web: httpx.AsyncClient, acme: Organization
) -> None:
    for _ in range(3):
        assert (await login(web, password="wrong-password")).status_code == 401

    locked = await login(web)

    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert "set-cookie" not in locked.headers


async def test_too_many_failures_from_one_address_lock_every_account(
    web: httpx.AsyncClient, db: Database, acme: Organization
) -> None:
    await create_account(db, "otro@example.com", organization=acme)
    for n in range(5):
        assert (await login(web, email=f"guess{n}@example.com")).status_code == 401

    assert (await login(web, email="otro@example.com")).status_code == 429


async def test_a_success_clears_the_account_failures(
    web: httpx.AsyncClient, acme: Organization
) -> None:
    for _ in range(2):
        await login(web, password="wrong-password")
    assert (await login(web)).status_code == 200
    for _ in range(2):
        await login(web, password="wrong-password")
    assert (await login(web)).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": SERVICE_TOKEN},
        {"Authorization": f"Bearer {SERVICE_TOKEN}"},
        {"X-Webhook-Token": SERVICE_TOKEN},
    ],
)
async def test_service_token_is_accepted_in_the_three_documented_forms(
    web: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await web.get("/probe/principal", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"kind": "service"}


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "wrong-token"},
        {"Authorization": f"Bearer {SERVICE_TOKEN}x"},
        {"X-Webhook-Token": SERVICE_TOKEN[:-1]},
        {},
    ],
)
async def test_wrong_or_missing_service_token_is_401(
    web: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await web.get("/probe/principal", headers=headers)
    assert response.status_code == 401
    assert SERVICE_TOKEN not in response.text


async def test_an_empty_secret_token_accepts_nothing(db: Database) -> None:
    async for client in client_for(probe_app(Settings(secret_token=""))):
        assert (
            await client.get("/probe/principal", headers={"Authorization": ""})
        ).status_code == 401
        assert (
            await client.get("/probe/principal", headers={"X-Webhook-Token": ""})
        ).status_code == 401


async def test_absent_organization_means_the_tokens_active_one(
    web: httpx.AsyncClient, acme: Organization
) -> None:
    await login(web)
    response = await web.get("/probe/organization")
    assert response.json() == {"nombre": "Acme", "rol": "administrador"}


async def test_named_organization_needs_membership(
    web: httpx.AsyncClient, db: Database, acme: Organization
) -> None:
    initech = await create_organization(db, "Initech")
    await login(web)

    foreign = await web.get("/probe/organization", params={"organizacion": "Initech"})
    assert foreign.status_code == 403
    assert foreign.json()["error"] == "No tienes acceso a esta organización"

    from clockify_tracker.auth import repository

    async with db.unit_of_work() as session:
        ana = await repository.find_account_by_email(session, "ana@example.com")
    assert ana is not None
    await add_membership(db, ana, initech, Role.COORDINADOR)
    member = await web.get("/probe/organization", params={"organizacion": "org_initech"})
    assert member.json() == {"nombre": "Initech", "rol": "coordinador"}


async def test_superadmin_reaches_every_organization(
    web: httpx.AsyncClient, db: Database, acme: Organization
) -> None:
    await create_organization(db, "Initech")
    await create_account(db, "root@example.com", superadmin=True)
    await login(web, email="root@example.com")

    response = await web.get("/probe/organization", params={"organizacion": "initech"})
    assert response.json() == {"nombre": "Initech", "rol": None}


async def test_forty_simultaneous_wrong_passwords_get_at_most_the_limit_checked(
    db: Database, acme: Organization
) -> None:
    """The attempt is counted before the hash: an answer of 401 is an attempt that reached
    Argon2, a 429 one that did not."""
    settings = Settings(login_max_failures_per_account=5, login_max_failures_per_address=1000)
    async for client in client_for(create_app(settings)):
        answers = await asyncio.gather(
            *(login(client, password=f"wrong-password-{n}") for n in range(40))
        )
        statuses = Counter(a.status_code for a in answers)
        assert statuses == {401: 5, 429: 35}
        # Locked for the right password too, as after five failures one by one.
        assert (await login(client)).status_code == 429


async def test_a_success_does_not_count_against_the_address(
    db: Database, acme: Organization
) -> None:
    settings = Settings(login_max_failures_per_address=3)
    async for client in client_for(create_app(settings)):
        for _ in range(5):
            assert (await login(client)).status_code == 200
        for n in range(3):
            assert (await login(client, email=f"guess{n}@example.com")).status_code == 401
        assert (await login(client)).status_code == 429


async def test_a_login_flood_is_refused_with_503_and_retry_after_never_500(
    db: Database, acme: Organization
) -> None:
    settings = Settings(
        login_max_failures_per_address=1000,
        login_max_concurrent_hashes=1,
        login_hash_wait_seconds=0.05,
        db_pool_size=2,
    )
    async for client in client_for(create_app(settings)):
        answers = await asyncio.gather(
            *(login(client, email=f"nadie{n}@example.com") for n in range(32)),
            *(client.get("/healthz") for _ in range(8)),
        )
        statuses = Counter(a.status_code for a in answers)
        assert set(statuses) <= {200, 401, 503}, statuses
        assert statuses[503] > 0, "the bound held nobody back"
        assert statuses[200] == 8
        for answer in answers:
            if answer.status_code == 503:
                assert answer.headers["retry-after"] == "2"
                assert "demasiados" in answer.json()["message"].lower()
        # Once the flood is over, logins work again.
        assert (await login(client)).status_code == 200


def _serve_api(port: int, **env: str) -> subprocess.Popen[bytes]:
    """`clockify-tracker api`, as the Docker image runs it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "clockify_tracker.cli", "api", "--host", "127.0.0.1",
         "--port", str(port)],
        cwd=REPO_ROOT, env={**os.environ, "LOGIN_MAX_FAILURES_PER_ADDRESS": "3", **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the API did not start")


@pytest.mark.parametrize(
    ("trusted", "locked"), [(None, True), ("127.0.0.1", False)], ids=["untrusted", "trusted"]
)
async def test_x_forwarded_for_is_believed_only_from_forwarded_allow_ips(
    db: Database, acme: Organization, trusted: str | None, locked: bool
) -> None:
    """A client on loopback sending a new X-Forwarded-For with each failed login: without
    FORWARDED_ALLOW_IPS the failures count against its real address and it is locked out."""
    port = free_port()
    process = _serve_api(port, **({"FORWARDED_ALLOW_IPS": trusted} if trusted else {}))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for n in range(4):
                await client.post(
                    "/api/auth/login",
                    json={"email": f"guess{n}@example.com", "password": "wrong-password"},
                    headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
                )
            last = await client.post(
                "/api/auth/login",
                json={"email": "ana@example.com", "password": PASSWORD},
                headers={"X-Forwarded-For": "203.0.113.99"},
            )
        assert last.status_code == (429 if locked else 200), last.text
    finally:
        process.terminate()
        process.wait(timeout=10)
