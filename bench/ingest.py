"""Webhook ingestion throughput: our /api-clockify/webhook/end against a bare reference.

Both run as uvicorn processes (one worker each) on loopback, against the same PostgreSQL, and get
the same load from this process: N requests with realistic bodies (the real 2022 capture, a unique
entry id each), 32 at a time. Prints requests/s, p50 and p99 for both, and the ratios.
Target (issue 4): at least half of the reference's throughput, p99 under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time

from bench._services import answers_within, configure_bench_environment

SERVICES = configure_bench_environment()

import asyncpg  # noqa: E402
from tests.support.services import REPO_ROOT  # noqa: E402

from clockify_tracker.config import Settings  # noqa: E402
from clockify_tracker.local.embedded import free_port  # noqa: E402

CAPTURE = REPO_ROOT / "tests" / "data" / "clockify" / "timer_stopped_1.json"
CONCURRENCY = 32


def _dsn(settings: Settings) -> str:
    return settings.database_url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _prepare(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    await connection.execute(
        "CREATE TABLE IF NOT EXISTS bench_reference "
        "(id bigserial PRIMARY KEY, entry_id text, body jsonb)"
    )
    await connection.execute(
        "TRUNCATE bench_reference, clockify_event, binnacle_entry, notification, clockify_session, "
        "clockify_user, clockify_workspace, error_log RESTART IDENTITY CASCADE"
    )
    await connection.close()


def _start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command, env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    if answers_within(process, f"http://127.0.0.1:{port}/"):
        return process
    process.kill()
    raise RuntimeError(
        f"server on {port} did not start: {process.stderr.read() if process.stderr else b''!r}"
    )


async def _post_loop(
    host: str,
    port: int,
    path: str,
    token: str,
    bodies: asyncio.Queue[bytes],
    latencies: list[float],
) -> None:
    """One keep-alive connection sending raw HTTP/1.1 requests: a load generator lean enough
    not to be the bottleneck (httpx was, at a few hundred requests/s)."""
    reader, writer = await asyncio.open_connection(host, port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Clockify-Signature: {token}\r\nContent-Length: "
    ).encode()
    try:
        while not bodies.empty():
            body = bodies.get_nowait()
            started = time.perf_counter()
            writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            response = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if b" 200 " not in status_line and b" 202 " not in status_line:
                raise RuntimeError(f"{path}: {status_line!r} {response[:200]!r}")
    finally:
        writer.close()


async def _load(
    port: int, path: str, token: str, requests: int, prefix: str
) -> tuple[float, list[float]]:
    template = json.loads(CAPTURE.read_text())
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for n in range(requests):
        queue.put_nowait(json.dumps(dict(template, id=f"{prefix}{n:024x}"[-24:])).encode())
    latencies: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(
        *(_post_loop("127.0.0.1", port, path, token, queue, latencies) for _ in range(CONCURRENCY))
    )
    return requests / (time.perf_counter() - started), latencies


def _summary(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


async def main(requests: int) -> None:
    settings = Settings()
    dsn = _dsn(settings)
    await _prepare(dsn)
    token = settings.clockify_secret_token_end.get_secret_value()
    env = dict(os.environ, BENCH_DSN=dsn, BENCH_TOKEN=token, LOG_LEVEL="WARNING")
    reference_port, service_port = free_port(), free_port()
    uvicorn = [sys.executable, "-m", "uvicorn", "--no-access-log", "--log-level", "warning"]
    reference = _start(
        [*uvicorn, "bench.reference_app:app", "--port", str(reference_port)], env, reference_port
    )
    service = _start(
        [*uvicorn, "clockify_tracker.main:create_app", "--factory", "--port", str(service_port)],
        env,
        service_port,
    )
    try:
        results = {}
        for name, port, path in (
            ("reference", reference_port, "/"),
            ("webhook/end", service_port, "/api-clockify/webhook/end"),
        ):
            prefix = "a" if name == "reference" else "b"
            await _load(port, path, token, 200, prefix + "f")  # warm-up: pools, imports
            rate, latencies = await _load(port, path, token, requests, prefix)
            results[name] = (rate, *_summary(latencies))
    finally:
        for process in (reference, service):
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        await _prepare(dsn)
        SERVICES.stop_embedded()

    print(f"{requests} requests per server, {CONCURRENCY} concurrent, uvicorn 1 worker, loopback")
    print(f"{'server':<12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, (rate, p50, p99) in results.items():
        print(f"{name:<12} {rate:>8.0f} {p50:>8.2f} {p99:>8.2f}")
    ratio = results["webhook/end"][0] / results["reference"][0]
    print(f"throughput ratio webhook/end : reference = {ratio:.2f} (target >= 0.50)")
    print(f"webhook/end p99 = {results['webhook/end'][2]:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    asyncio.run(main(parser.parse_args().requests))
