"""Hostile requests get a clear 4xx and change nothing: deep JSON, invalid UTF-8, oversized
bodies (declared or streamed) and headers, on the webhooks and on the APIs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from clockify_tracker.kit.db import Database
from clockify_tracker.models import ClockifyEvent, ClockifySession, ClockifyUser
from tests.support.clockify import token

SERVICE = {"Authorization": "test-secret-token-value"}
DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
BAD_UTF8 = b'{"id": "\xff\xfe", "description": "\xc3\x28"}'
BODIES, BODY_NAMES = [DEEP_ARRAY, DEEP_OBJECT, BAD_UTF8], ["array", "object", "utf8"]


async def stored(db: Database) -> int:
    async with db.unit_of_work() as session:
        total = 0
        for model in (ClockifyEvent, ClockifySession, ClockifyUser):
            total += int(await session.scalar(select(func.count()).select_from(model)) or 0)
    return total


@pytest.mark.parametrize(
    "body", [DEEP_ARRAY, DEEP_OBJECT, BAD_UTF8], ids=["array", "object", "utf8"]
)
async def test_a_hostile_webhook_body_is_400_and_nothing_is_stored(
    client: httpx.AsyncClient, db: Database, body: bytes
) -> None:
    response = await client.post(
        "/api-clockify/webhook/end", content=body,
        headers={"Content-Type": "application/json", "Clockify-Signature": token("end")},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"].startswith("El cuerpo no es JSON válido")
    assert await stored(db) == 0


@pytest.mark.parametrize(
    "body", [DEEP_ARRAY, DEEP_OBJECT, BAD_UTF8], ids=["array", "object", "utf8"]
)
@pytest.mark.parametrize(
    ("path", "headers"),
    [("/api-clockify/users/create/", SERVICE), ("/api/auth/login", {})],
    ids=["coordinators-api", "auth"],
)
async def test_a_hostile_api_body_is_4xx_and_nothing_is_stored(
    client: httpx.AsyncClient, db: Database, body: bytes, path: str, headers: dict[str, str]
) -> None:
    response = await client.post(
        path, content=body, headers={"Content-Type": "application/json", **headers}
    )
    assert 400 <= response.status_code < 500, response.text
    assert await stored(db) == 0


@pytest.mark.parametrize(
    "path", ["/api-clockify/users/create/", "/api/automatizaciones", "/api-clockify/webhook/end"]
)
async def test_huge_headers_are_431(client: httpx.AsyncClient, db: Database, path: str) -> None:
    response = await client.post(path, json={}, headers={**SERVICE, "X-Relleno": "a" * 40_000})
    assert response.status_code == 431
    body = response.json()
    message = body.get("error") or body.get("message")
    assert "cabeceras" in message
    if path.startswith("/api/automatizaciones"):
        assert body["success"] is False, "the automations envelope"
    assert await stored(db) == 0


async def test_a_body_declared_over_a_mebibyte_is_413_before_it_is_read(
    client: httpx.AsyncClient, db: Database
) -> None:
    response = await client.post(
        "/api-clockify/users/create/", content=b"{" + b" " * (1024 * 1024 + 10) + b"}",
        headers={**SERVICE, "Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_a_streamed_body_over_a_mebibyte_is_413(
    client: httpx.AsyncClient, db: Database
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 65_536
        yield b'"}'

    response = await client.post(
        "/api-clockify/users/create/", content=chunks(),
        headers={**SERVICE, "Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 413
    assert await stored(db) == 0


async def test_ordinary_requests_still_pass(client: httpx.AsyncClient, db: Database) -> None:
    body: dict[str, Any] = {"ExternalUserId": "6650ab00ab00ab00ab00ab01", "name": "Ana"}
    response = await client.post("/api-clockify/users/create/", json=body, headers=SERVICE)
    assert response.status_code in (200, 201), response.text
