"""Every error answers JSON in its contract's envelope, naming the field, leaking nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, EmailStr

from clockify_tracker.config import Settings
from clockify_tracker.exceptions import NotFoundError
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.web import DbSession
from clockify_tracker.local.embedded import free_port
from clockify_tracker.main import create_app
from tests.fixtures.app import client_for


class Person(BaseModel):
    email: EmailStr
    hours_per_month: int


def add_probe_routes(app: FastAPI) -> FastAPI:
    @app.post("/probe/person")
    async def person(body: Person) -> Person:
        return body

    @app.get("/probe/boom")
    async def boom() -> None:
        raise RuntimeError("SELECT * FROM secret_table WHERE token='abc'")

    @app.get("/api/automatizaciones/probe")
    async def automation_missing() -> None:
        raise NotFoundError("Automatización no encontrada")

    @app.get("/probe/db")
    async def uses_db(session: DbSession) -> dict[str, bool]:
        await session.connection()
        return {"ok": True}

    return app


@pytest.fixture
async def probe_client(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(add_probe_routes(create_app(Settings()))):
        yield client


async def test_unknown_route_is_json_404(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/no/such/route")
    assert response.status_code == 404
    assert response.json()["error"] == "Not Found"
    assert response.json()["code"] == "not_found"


async def test_invalid_body_is_422_naming_each_field(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post(
        "/probe/person", json={"email": "not-an-email", "hours_per_month": "many"}
    )
    assert response.status_code == 422
    body = response.json()
    fields = {detail["field"] for detail in body["details"]}
    assert fields == {"body.email", "body.hours_per_month"}
    assert "body.email" in body["error"]


async def test_malformed_json_is_a_clear_4xx(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post(
        "/probe/person", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "JSON" in response.json()["error"]


async def test_unexpected_error_is_500_without_details(
    probe_client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    response = await probe_client.get("/probe/boom", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.json()["error"] == "Internal server error"
    assert response.json()["requestId"] == "req-500"
    assert response.headers["x-request-id"] == "req-500"
    assert "[req-500] unhandled error on GET /probe/boom" in capsys.readouterr().err
    assert "secret_table" not in response.text
    assert "Traceback" not in response.text


async def test_automation_routes_use_their_envelope(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/api/automatizaciones/probe")
    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "data": None,
        "message": "Automatización no encontrada",
        "error": "Automatización no encontrada",
    }


async def test_request_id_is_kept_and_returned(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/no/such/route", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json()["requestId"] == "abc-123"


async def test_unsafe_request_id_is_replaced(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/healthz", headers={"X-Request-ID": "bad id\n<script>"})
    assert response.headers["x-request-id"] != "bad id\n<script>"
    assert len(response.headers["x-request-id"]) == 32


async def test_database_down_answers_503_not_500(db: Database) -> None:
    dead = Settings(DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/x")
    async for client in client_for(add_probe_routes(create_app(dead))):
        response = await client.get("/probe/db")
        assert response.status_code == 503
        assert response.json()["code"] == "service_unavailable"
        assert response.headers["retry-after"] == "5"
