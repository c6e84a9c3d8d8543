"""Point the settings at benchmark-only database and Redis index before anything reads them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import asyncpg
import httpx
from sqlalchemy import make_url
from tests.support.services import REPO_ROOT, TestServices, configure_test_environment

from clockify_tracker.local.embedded import ensure_database

BENCH_DATABASE = "clockify_tracker_bench"
BENCH_REDIS_INDEX = 13


async def _reset_schema(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


def configure_bench_environment() -> TestServices:
    services = configure_test_environment()
    ensure_database(services.database_url, BENCH_DATABASE)
    url = make_url(services.database_url).set(database=BENCH_DATABASE)
    redis_base, _, _ = services.redis_url.rpartition("/")
    os.environ.update(
        DATABASE_URL=url.render_as_string(hide_password=False),
        REDIS_URL=f"{redis_base}/{BENCH_REDIS_INDEX}",
        LOG_LEVEL="WARNING",
    )
    # The bench database is disposable: rebuilt from the migrations on every run.
    asyncio.run(
        _reset_schema(url.set(drivername="postgresql").render_as_string(hide_password=False))
    )
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"], cwd=REPO_ROOT, check=True,
        capture_output=True,
    )  # fmt: skip
    return services


def answers_within(process: subprocess.Popen[bytes], url: str, timeout: float = 30) -> bool:
    """Poll `url` until the server answers at all; False if the process exits or time runs out
    first. The caller stops the process and says where its log is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(url, timeout=1)
            return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False
