"""Other routes during a login flood: p50/p99 of `/healthz` and `/api/auth/me` (a logged-in
account) with no flood, then while N clients (32 by default) post logins for unknown emails
as fast as they are answered, an unauthenticated attacker's cheapest way to burn Argon2.

The API runs as one uvicorn process on loopback against the bench database. Prints, per phase,
latency percentiles of the probed routes and the login answers by status, and the ratio of the
flooded p99 to the quiet p99. Target (issue 17): p99 of the other routes under 100 ms during
the flood, no 5xx but 503 (bounded hashing) and 429.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections import Counter

from bench._services import answers_within, configure_bench_environment

SERVICES = configure_bench_environment()

import httpx  # noqa: E402
from tests.support.services import REPO_ROOT  # noqa: E402

from clockify_tracker.local.embedded import free_port  # noqa: E402

PASSWORD = "una-clave-larga-para-medir"  # noqa: S105 - the bench account's, in a bench db
EMAIL = "medicion@example.com"


def _start(port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000", "ENVIRONMENT": "development"}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "clockify_tracker.main:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    if answers_within(process, f"http://127.0.0.1:{port}/healthz"):
        return process
    process.kill()
    raise RuntimeError(f"uvicorn did not start: {process.stderr.read() if process.stderr else ''}")


def _account() -> None:
    env = {**os.environ, "CT_PASSWORD": PASSWORD}
    commands = [
        ["create-org", "Medición"],
        ["create-account", EMAIL, "--org", "Medición", "--role", "administrador"],
    ]
    for command in commands:
        subprocess.run(
            [sys.executable, "-m", "clockify_tracker.cli", *command],
            env=env, cwd=REPO_ROOT, check=True, capture_output=True,
        )  # fmt: skip


async def _probe(base: str, seconds: float, cookie: str) -> dict[str, list[float]]:
    """One request at a time to each probed route, so the figures are the routes' own."""
    latencies: dict[str, list[float]] = {"/healthz": [], "/api/auth/me": []}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for path in latencies:
                started = time.perf_counter()
                response = await client.get(path, cookies={"access_token": cookie})
                latencies[path].append(time.perf_counter() - started)
                assert response.status_code == 200, (path, response.status_code)
            await asyncio.sleep(0.02)
    return latencies


async def _flood(base: str, stop: asyncio.Event, statuses: Counter[int], n: int) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        attempt = 0
        while not stop.is_set():
            attempt += 1  # a new email each time: no account limit ever stops the hash
            response = await client.post(
                "/api/auth/login",
                json={"correo": f"nadie{n}-{attempt}@example.com", "contraseña": "x" * 12},
            )
            statuses[response.status_code] += 1
            if response.status_code == 503:
                await asyncio.sleep(0.05)  # a client told to retry later does not spin


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q * 100) - 1] if len(values) > 1 else values[0]


def _print(phase: str, latencies: dict[str, list[float]]) -> dict[str, float]:
    p99s = {}
    for path, values in latencies.items():
        p50, p99 = statistics.median(values) * 1000, _quantile(values, 0.99) * 1000
        p99s[path] = p99
        print(f"  {phase:<8} {path:<14} n={len(values):<5} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
    return p99s


async def main(seconds: float, clients: int) -> None:
    _account()
    port = free_port()
    server = _start(port)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            logged = await client.post(
                "/api/auth/login", json={"email": EMAIL, "password": PASSWORD}
            )
            assert logged.status_code == 200, logged.text
            cookie = logged.cookies["access_token"]
        print(f"login flood: {clients} clients, {seconds:.0f} s per phase, one uvicorn process")
        quiet = _print("quiet", await _probe(base, seconds, cookie))
        stop, statuses = asyncio.Event(), Counter[int]()
        flooders = [asyncio.create_task(_flood(base, stop, statuses, n)) for n in range(clients)]
        await asyncio.sleep(1)  # the flood is under way before measuring
        flooded = _print("flooded", await _probe(base, seconds, cookie))
        stop.set()
        await asyncio.gather(*flooders)
        print(f"  login answers during the flood: {dict(sorted(statuses.items()))}")
        for path in quiet:
            print(f"  {path}: flooded p99 / quiet p99 = {flooded[path] / quiet[path]:.1f}")
        print(f"  target: p99 under 100 ms -> {max(flooded.values()):.1f} ms; 5xx other than 503: "
              f"{sum(c for s, c in statuses.items() if s >= 500 and s != 503)}")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=32)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.seconds, arguments.clients))
