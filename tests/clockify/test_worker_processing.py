"""Deliveries are applied by the real worker: on the signal sent after commit, or by the
sweeper when that signal was lost (broker down when the webhook committed)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from clockify_tracker.config import Settings
from clockify_tracker.kit.celery_app import create_celery_app
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.outbox import CeleryPublisher
from clockify_tracker.local.embedded import free_port
from clockify_tracker.main import create_app
from clockify_tracker.models import ClockifyEvent, ClockifySession
from tests.fixtures.app import client_for
from tests.support.clockify import entry, send
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("celery_worker")


async def applied_session(db: Database, entry_id: str) -> ClockifySession | None:
    async with db.unit_of_work() as session:
        return await session.scalar(
            select(ClockifySession).where(ClockifySession.external_id == entry_id)
        )


async def test_the_worker_applies_a_delivery_after_the_webhook_commits(
    client: httpx.AsyncClient, db: Database
) -> None:
    body = entry("6650aa00aa00aa00aa0e2e01")
    response = await send(client, "end", body)
    assert response.status_code == 202

    row = await eventually(lambda: applied_session(db, body["id"]))
    assert row.duration_seconds == 2 * 3600
    async with db.unit_of_work() as session:
        delivery = await session.scalar(select(ClockifyEvent))
    assert delivery is not None
    assert delivery.processed_at is not None
    assert delivery.outcome == "created"


@pytest.fixture
async def broker_down_client(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    dead = Settings(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    app = create_app(Settings(), publisher=CeleryPublisher(create_celery_app(dead)))
    async for client in client_for(app):
        yield client


async def test_a_delivery_whose_signal_was_lost_is_applied_by_the_sweeper(
    broker_down_client: httpx.AsyncClient, db: Database
) -> None:
    body = entry("6650aa00aa00aa00aa0e2e02")
    response = await send(broker_down_client, "end", body)
    assert response.status_code == 202, "the broker being down must not refuse the webhook"

    row = await eventually(lambda: applied_session(db, body["id"]))
    assert row.enabled is True


async def test_a_delivery_that_cannot_be_applied_is_retried_a_few_times_then_left_with_its_error(
    client: httpx.AsyncClient, db: Database
) -> None:
    """A poison delivery neither blocks the others in its batch nor loops forever."""
    async with db.unit_of_work() as session:
        session.add(
            ClockifyEvent(
                entry_id="6650aa00aa00aa00aa00dead", workspace_id="w", event="end", rank=2,
                body_hash="poison", body={"id": "6650aa00aa00aa00aa00dead"},
            )
        )  # fmt: skip
    good = entry("6650aa00aa00aa00aa0e2e03")
    assert (await send(client, "end", good)).status_code == 202
    create_celery_app(Settings()).send_task(
        "clockify.process_entries", args=[["6650aa00aa00aa00aa00dead", good["id"]]]
    )

    assert await eventually(lambda: applied_session(db, good["id"]))

    async def poison() -> ClockifyEvent | None:
        async with db.unit_of_work() as session:
            row = await session.scalar(
                select(ClockifyEvent).where(ClockifyEvent.body_hash == "poison")
            )
        return row if row is not None and row.attempts >= 5 else None

    stuck = await eventually(poison, within=30)
    assert stuck.processed_at is None
    assert stuck.last_error is not None
    assert "ValidationError" in stuck.last_error
    await asyncio.sleep(2.5)  # the sweeper runs every second in tests: it has given up
    async with db.unit_of_work() as session:
        again = await session.scalar(
            select(ClockifyEvent).where(ClockifyEvent.body_hash == "poison")
        )
    assert again is not None
    assert again.attempts == 5
