"""How much does the outbox add to a request, and does a dead broker slow requests down?

Three scenarios, each N sequential requests through the ASGI app (no network in between):
  reference    a request whose transaction only reads (SELECT 1)
  outbox       a request that writes one outbox job; published after commit
  broker-down  the same, with the broker unreachable (the publish fails; the sweeper's job)
Prints median and p95 latency and each scenario's ratio to the reference.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from bench._services import configure_bench_environment

SERVICES = configure_bench_environment()

import httpx  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from redis.asyncio import Redis  # noqa: E402
from sqlalchemy import text  # noqa: E402

from clockify_tracker.config import Settings  # noqa: E402
from clockify_tracker.kit.celery_app import create_celery_app  # noqa: E402
from clockify_tracker.kit.db import Database  # noqa: E402
from clockify_tracker.kit.outbox import CeleryPublisher, Publisher, add_job  # noqa: E402
from clockify_tracker.kit.web import DbSession  # noqa: E402
from clockify_tracker.local.embedded import free_port  # noqa: E402
from clockify_tracker.main import create_app  # noqa: E402

TASK = "bench.noop"


def build_app(publisher: Publisher | None) -> FastAPI:
    app = create_app(Settings(), publisher=publisher)

    @app.post("/bench/read")
    async def read(session: DbSession) -> dict[str, Any]:
        return {"one": await session.scalar(text("SELECT 1"))}

    @app.post("/bench/job")
    async def job(session: DbSession) -> dict[str, Any]:
        return {"id": await add_job(session, TASK, {"n": 1})}

    return app


async def measure(app: FastAPI, path: str, requests: int) -> list[float]:
    timings: list[float] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for _ in range(20):  # warm-up: pool connections, first-call imports
                await client.post(path)
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.post(path)
                timings.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
    return timings


def summary(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95)] * 1000


async def clean_up(settings: Settings) -> None:
    database = Database(settings.database_url)
    async with database.unit_of_work() as session:
        await session.execute(text("TRUNCATE outbox_message"))
    await database.dispose()
    async with Redis.from_url(settings.redis_url.get_secret_value()) as redis:
        await redis.flushdb()  # the bench's own index: nothing consumes these messages


async def main(requests: int) -> None:
    settings = Settings()
    dead = Settings(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    scenarios = [
        ("reference", build_app(None), "/bench/read"),
        ("outbox", build_app(None), "/bench/job"),
        ("broker-down", build_app(CeleryPublisher(create_celery_app(dead))), "/bench/job"),
    ]
    results: dict[str, tuple[float, float]] = {}
    try:
        for name, app, path in scenarios:
            results[name] = summary(await measure(app, path, requests))
    finally:
        await clean_up(settings)
        SERVICES.stop_embedded()

    reference_median = results["reference"][0]
    print(f"{requests} sequential requests per scenario, in-process ASGI")
    print(f"{'scenario':<12} {'median ms':>10} {'p95 ms':>8} {'x reference':>12}")
    for name, (median, p95) in results.items():
        print(f"{name:<12} {median:>10.2f} {p95:>8.2f} {median / reference_median:>12.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=400)
    asyncio.run(main(parser.parse_args().requests))
