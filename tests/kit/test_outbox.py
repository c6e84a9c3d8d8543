"""The outbox end to end: a row written in the request's transaction, run by the real worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import select

from clockify_tracker.config import Settings
from clockify_tracker.exceptions import ConflictError
from clockify_tracker.kit.celery_app import create_celery_app
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.outbox import CeleryPublisher, Publisher, add_job
from clockify_tracker.kit.web import DbSession
from clockify_tracker.local.embedded import free_port
from clockify_tracker.main import create_app
from clockify_tracker.models import OutboxMessage
from tests.fixtures.app import client_for
from tests.fixtures.worker import WorkerProcess
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("celery_worker")


def app_with_job_route(publisher: Publisher | None = None) -> FastAPI:
    """The service app plus one route that writes a job, as a domain endpoint would."""
    app = create_app(Settings(), publisher=publisher)

    @app.post("/test-jobs")
    async def create_job(session: DbSession, body: dict[str, Any]) -> dict[str, int]:
        job_id = await add_job(session, body["task"], body["payload"])
        if body.get("fail"):
            raise ConflictError("rolled back on purpose")
        return {"id": job_id}

    return app


@pytest.fixture
async def job_client(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(app_with_job_route()):
        yield client


@pytest.fixture
async def dead_broker_client(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    dead = Settings(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    async for client in client_for(app_with_job_route(CeleryPublisher(create_celery_app(dead)))):
        yield client


async def job_row(db: Database, job_id: int) -> OutboxMessage:
    async with db.unit_of_work() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.id == job_id))
    assert row is not None
    return row


async def test_job_written_by_a_request_is_run_by_the_worker_after_commit(
    job_client: httpx.AsyncClient, db: Database, redis_client: Redis, unique_key: str
) -> None:
    response = await job_client.post(
        "/test-jobs", json={"task": "tests.record_in_redis", "payload": {"key": unique_key}}
    )
    assert response.status_code == 200

    assert await eventually(lambda: redis_client.get(unique_key)) == "1"
    row = await eventually(lambda: _done(db, response.json()["id"]))
    assert row.dispatched_at is not None
    assert row.dispatch_count == 1
    assert row.attempts == 1


async def _done(db: Database, job_id: int) -> OutboxMessage | None:
    row = await job_row(db, job_id)
    return row if row.status == "done" else None


async def test_job_of_a_rolled_back_request_is_never_written(
    job_client: httpx.AsyncClient, db: Database
) -> None:
    response = await job_client.post(
        "/test-jobs",
        json={"task": "tests.record_in_redis", "payload": {"key": "never"}, "fail": True},
    )
    assert response.status_code == 409
    async with db.unit_of_work() as session:
        assert (await session.scalars(select(OutboxMessage))).all() == []


async def test_job_whose_send_failed_is_resent_by_the_sweeper(
    dead_broker_client: httpx.AsyncClient, db: Database, redis_client: Redis, unique_key: str
) -> None:
    response = await dead_broker_client.post(
        "/test-jobs", json={"task": "tests.record_in_redis", "payload": {"key": unique_key}}
    )
    assert response.status_code == 200, "the request must not fail because the broker is down"

    # The API could not hand the job over; only the worker's beat-driven sweeper can.
    assert await eventually(lambda: redis_client.get(unique_key)) == "1"
    row = await eventually(lambda: _done(db, response.json()["id"]))
    assert row.dispatch_count == 1, "exactly one hand-over: the sweeper's"


async def test_transient_failure_is_retried_with_backoff_until_it_succeeds(
    job_client: httpx.AsyncClient, db: Database, redis_client: Redis, unique_key: str
) -> None:
    response = await job_client.post(
        "/test-jobs",
        json={"task": "tests.fail_then_record", "payload": {"key": unique_key, "failures": 2}},
    )

    assert await eventually(lambda: redis_client.get(unique_key)) == "1"
    row = await eventually(lambda: _done(db, response.json()["id"]))
    assert row.attempts == 3
    assert await redis_client.get(unique_key + ":calls") == "3"


async def test_permanent_failure_is_kept_with_its_error_and_no_secret(
    job_client: httpx.AsyncClient, db: Database, celery_worker: WorkerProcess
) -> None:
    secret = Settings().secret_token.get_secret_value()
    response = await job_client.post(
        "/test-jobs",
        json={
            "task": "tests.fail_permanently",
            "payload": {"message": f"mailbox refused, token was {secret}"},
        },
    )

    async def failed() -> OutboxMessage | None:
        row = await job_row(db, response.json()["id"])
        return row if row.status == "failed" else None

    row = await eventually(failed)
    assert row.attempts == 1
    assert row.last_error is not None
    assert "mailbox refused" in row.last_error
    assert secret not in row.last_error
    assert secret not in celery_worker.log()


async def test_two_deliveries_of_the_same_job_run_it_once(
    db: Database, redis_client: Redis, unique_key: str
) -> None:
    publisher = CeleryPublisher(create_celery_app(Settings()))
    async with db.unit_of_work() as session:
        job_id = await add_job(session, "tests.record_slowly", {"key": unique_key, "seconds": 0.5})
    # Two deliveries at once, one per worker process (a redelivery after a lost ack looks so).
    assert publisher.send_many([("tests.record_slowly", [job_id], None)] * 2) == 2

    row = await eventually(lambda: _done(db, job_id))
    await asyncio.sleep(1.0)  # let the second delivery finish its look at the row
    assert await redis_client.get(unique_key) == "1"
    assert row.attempts == 1


@pytest.mark.timeout(30)
def test_publishing_to_an_unreachable_broker_fails_instead_of_waiting() -> None:
    dead = Settings(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    publisher = CeleryPublisher(create_celery_app(dead))

    assert publisher.send_many([("tests.record_in_redis", [1], None)]) == 0
