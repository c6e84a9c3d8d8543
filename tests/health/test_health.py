from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from clockify_tracker.config import Settings
from clockify_tracker.kit.db import Database
from clockify_tracker.local.embedded import EmbeddedRedis, free_port
from clockify_tracker.main import create_app
from tests.fixtures.app import client_for


async def test_healthz_answers_while_process_runs(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ok_when_postgres_and_redis_answer(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"postgres": "ok", "redis": "ok"}


@pytest.fixture
def throwaway_redis(tmp_path: Path) -> EmbeddedRedis:
    server = EmbeddedRedis(tmp_path / "redis", free_port(), persistent=False)
    server.start()
    yield server  # type: ignore[misc]
    server.stop()


@pytest.fixture
async def client_on_throwaway_redis(
    throwaway_redis: EmbeddedRedis, db: Database
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(redis_url=throwaway_redis.url))
    async for client in client_for(app):
        yield client


async def test_readyz_reports_a_stopped_redis_as_down(
    throwaway_redis: EmbeddedRedis, client_on_throwaway_redis: httpx.AsyncClient
) -> None:
    assert (await client_on_throwaway_redis.get("/readyz")).status_code == 200

    throwaway_redis.stop()
    response = await client_on_throwaway_redis.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {"postgres": "ok", "redis": "down"}
    assert body["message"] == "redis is down"


async def test_readyz_reports_an_unreachable_postgres_as_down(db: Database) -> None:
    dead_port = free_port()
    app = create_app(Settings(DATABASE_URL=f"postgresql://postgres@127.0.0.1:{dead_port}/nothing"))
    async for client in client_for(app):
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["postgres"] == "down"
        assert response.json()["message"] == "postgres is down"
