"""Readiness: can this process reach PostgreSQL and Redis right now?"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import text

from clockify_tracker.kit.db import Database

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0


async def _postgres_ok(database: Database) -> bool:
    async with database.engine.connect() as connection:
        value: object = await connection.scalar(text("SELECT 1"))
        return value == 1


async def _redis_ok(redis: Redis) -> bool:
    return bool(await redis.ping())


async def _check(name: str, probe: Coroutine[Any, Any, bool]) -> tuple[str, str]:
    try:
        ok = await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        log.warning("readiness: %s is down (%s)", name, type(exc).__name__)
        return name, "down"
    return name, "ok" if ok else "down"


async def check_dependencies(database: Database, redis: Redis) -> dict[str, str]:
    """`{"postgres": "ok"|"down", "redis": "ok"|"down"}`, checked concurrently."""
    results = await asyncio.gather(
        _check("postgres", _postgres_ok(database)), _check("redis", _redis_ok(redis))
    )
    return dict(results)
