"""Tasks that exist only in the test worker (`--include tests.support.tasks`).

They make a job's execution observable from the test process through Redis."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.config import settings
from clockify_tracker.exceptions import PermanentJobError, RetryLaterError
from clockify_tracker.kit.jobs import job_task


def _redis() -> Redis:
    return Redis.from_url(settings.redis_url.get_secret_value())


@job_task("tests.record_in_redis")
async def record_in_redis(session: AsyncSession, payload: dict[str, Any]) -> None:
    async with _redis() as redis:
        await redis.incr(payload["key"])


@job_task("tests.fail_then_record")
async def fail_then_record(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Fails with a transient error `failures` times, then records like record_in_redis."""
    async with _redis() as redis:
        calls = await redis.incr(payload["key"] + ":calls")
        if calls <= payload["failures"]:
            raise RetryLaterError(f"transient failure {calls}", delay_seconds=0.2)
        await redis.incr(payload["key"])


@job_task("tests.fail_permanently")
async def fail_permanently(session: AsyncSession, payload: dict[str, Any]) -> None:
    raise PermanentJobError(payload["message"])


@job_task("tests.record_slowly")
async def record_slowly(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Holds the job for a moment, so a second delivery arrives while it runs."""
    await asyncio.sleep(payload["seconds"])
    async with _redis() as redis:
        await redis.incr(payload["key"])
