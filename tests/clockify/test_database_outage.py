"""PostgreSQL stopped under the webhooks: no 2xx without a committed row, a clear 503 meanwhile,
and the service takes deliveries again by itself once the database is back. On an embedded
PostgreSQL of its own (the suite's server is never stopped)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from clockify_tracker.config import Settings
from clockify_tracker.local.embedded import EmbeddedPostgres, ensure_database
from clockify_tracker.main import create_app
from tests.fixtures.app import client_for
from tests.fixtures.database import run_alembic
from tests.support.clockify import entry, send
from tests.support.polling import eventually

pytestmark = pytest.mark.slow


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[tuple[EmbeddedPostgres, str]]:
    server = EmbeddedPostgres(tmp_path / "postgres")
    admin = server.start()
    ensure_database(admin, "outage")
    url = server.url_for(admin, "outage")
    migrated = run_alembic("upgrade", "head", database_url=url)
    assert migrated.returncode == 0, migrated.stderr
    try:
        yield server, url
    finally:
        server.stop()


async def stored_entries(url: str) -> set[str]:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        rows = await connection.fetch("SELECT entry_id FROM clockify_event")
    finally:
        await connection.close()
    return {row["entry_id"] for row in rows}


async def _outage(
    client: httpx.AsyncClient, server: EmbeddedPostgres, answers: dict[str, int]
) -> list[httpx.Response]:
    """One delivery, PostgreSQL stopped for five, started again, deliveries until one is
    accepted; the answers to the five."""
    counter = iter(range(1, 1000))

    async def deliver() -> httpx.Response:
        body = entry(f"6650fa11fa11fa11fa11{next(counter):04d}")
        response = await send(client, "end", body)
        answers[body["id"]] = response.status_code
        return response

    async def accepted() -> httpx.Response | None:
        response = await deliver()
        return response if response.status_code == 202 else None

    assert (await deliver()).status_code == 202
    server.stop()
    down = [await deliver() for _ in range(5)]
    server.start()
    await eventually(accepted, within=30, interval=0.2)
    return down


async def test_webhooks_answer_503_while_postgresql_is_down_and_recover_by_themselves(
    own_postgres: tuple[EmbeddedPostgres, str],
) -> None:
    server, url = own_postgres
    answers: dict[str, int] = {}
    async for client in client_for(create_app(Settings.model_validate({"DATABASE_URL": url}))):
        down = await _outage(client, server, answers)

    assert {response.status_code for response in down} == {503}
    assert all(response.headers.get("retry-after") for response in down)
    assert down[0].json()["error"] == "Database unavailable, try again shortly"
    stored = await stored_entries(url)
    accepted_ids = {entry_id for entry_id, status in answers.items() if 200 <= status < 300}
    assert accepted_ids <= stored, "every 2xx has its committed row"
    refused = {entry_id for entry_id, status in answers.items() if status >= 500}
    assert not refused & stored, "nothing refused was kept"
    assert set(answers.values()) <= {202, 503}, answers
