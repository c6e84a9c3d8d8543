"""Soak: the whole service, run as production runs it, under a constant offered load.

Processes: the API (uvicorn, one process), one Celery worker with embedded beat (prefork, 2
children) and an SMTP sink in a process of its own, on the bench database and Redis index.
Seeds an organization (an administrator, a coordinator, its Clockify workspace) and AUTOMATIONS
`* * * * *` automations on a quick script, then for DURATION seconds sends, open loop (each
request at its scheduled time whatever the earlier ones take; latency counts from that time, so
a slow answer cannot hide the requests that would have queued behind it):
  webhooks  start/end/edit/delete/manual deliveries with realistic bodies, mostly the start and
            a few seconds later the end of the same entry                            (20/s)
  reads     coordinator reads under /api-clockify/: sessions, users, a session's binnacle,
            searches; the service token and a coordinator's cookie in turn              (5/s)
  runs      a manual run (POST /api/automatizaciones/ejecutar) every 10 s over the
            automations; a 409 (that one is still queued or running) is counted apart;
            beat's dispatcher runs every automation once a minute besides
Every 5 s: RSS of the API and of the worker (main process and its direct children, summed).
Then waits (bounded) for the worker's backlog and prints, per stream: offered, answered,
achieved rate, errors by status, latency p50/p95/p99/max; memory in the first and the last
minute; what the worker did (deliveries applied, emails sent and delivered to the sink, runs by
status); and a verdict per target of the issue: achieved = offered within 1 %, webhook p99 under
100 ms, no error, memory of API and worker flat (growth under max(10 MiB, 5 %)).
Figures only: it exits 0 whatever they are.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import ctypes.util
import heapq
import json
import math
import multiprocessing
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench._services import answers_within, configure_bench_environment

SERVICES = configure_bench_environment()
# The test environment's periodic settings are tuned for quick tests (sweepers every second, a
# one-second grace before a hand-over counts as lost). A soak runs production's defaults, with
# the automation dispatcher and the open-session monitor on. The report schedule stays off: a
# weekly or monthly report falling due during one run would make runs incomparable.
os.environ.update(
    EMAIL_PROCESS_INTERVAL="5",
    EMAIL_RETRY_DELAY="5",
    OUTBOX_GRACE_SECONDS="10",
    AUTOMATION_DISPATCH_INTERVAL="5",
    AUTOMATION_KILL_GRACE_SECONDS="10",
    MONITOR_INTERVAL_SECONDS="30",
    REPORTS_SCHEDULE_ENABLED="false",
)

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import kombu.exceptions  # noqa: E402
import redis.exceptions  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from redis import Redis  # noqa: E402
from tests.support.clockify import TOKENS, entry  # noqa: E402
from tests.support.factories import PASSWORD, create_account, create_organization  # noqa: E402
from tests.support.processes import descendants  # noqa: E402
from tests.support.services import REPO_ROOT  # noqa: E402

from clockify_tracker.clockify.payload import format_duration  # noqa: E402
from clockify_tracker.config import Settings  # noqa: E402
from clockify_tracker.kit.celery_app import create_celery_app  # noqa: E402
from clockify_tracker.kit.db import Database  # noqa: E402
from clockify_tracker.local.embedded import free_port  # noqa: E402
from clockify_tracker.models import ClockifyWorkspace, Role  # noqa: E402

RUN_DIR = REPO_ROOT / "var" / "bench" / "soak"
ORGANIZATION = "Soak Industrias"
ADMIN = "admin@soak.example"
COORDINATOR = "coordinacion@soak.example"
WORKSPACE = "5f50a0a0a0a0a0a0a0a0a0a1"
USERS = 25
AUTOMATIONS = 5
SCRIPT = "ok.py"
DESCRIPTIONS = ("Planeación", "Soporte a clientes", "Desarrollo", "Reunión semanal", "Capacitación")
REQUEST_TIMEOUT = 10.0
MEMORY_EVERY = 5.0
REFRESH_EVERY = 600.0  # the access cookie lives 15 minutes
# Memory is "flat" when the last minute's mean exceeds the first's by less than this.
FLAT_MIB, FLAT_SHARE = 10.0, 0.05
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In a child: SIGTERM when this script dies, even by SIGKILL, so nothing is left behind."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else math.nan


# --- processes ---------------------------------------------------------------------------------


def _start_time(pid: int) -> str | None:
    """A process's start time in clock ticks: with the pid, who it is (pids are reused)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self, grace: float) -> None:
        """SIGTERM, then SIGKILL to whatever of its tree is left (pool children, scripts)."""
        if self.process.poll() is not None:
            return  # stopped already: its pid, and its children's, may belong to others now
        tree = [self.process.pid, *descendants(self.process.pid)]
        known = {pid: _start_time(pid) for pid in tree}
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(grace)
        for pid, started in known.items():
            if started is not None and _start_time(pid) == started:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.process.wait()

    def error_lines(self) -> list[str]:
        pattern = re.compile(r"^(ERROR|CRITICAL)\b|Traceback \(most recent call last\)")
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [line for line in text.splitlines() if pattern.search(line)]


def _spawn(name: str, command: list[str], env: dict[str, str]) -> Child:
    log_path = RUN_DIR / f"{name}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            # Its own session: Ctrl-C reaches this script only, which stops the children in
            # order; they get SIGTERM anyway if this script dies.
            start_new_session=True, preexec_fn=_die_with_parent,
        )  # fmt: skip
    return Child(name, process, log_path)


def start_api(port: int) -> Child:
    """One uvicorn process, as `clockify-tracker api` runs it: access log off, log level left
    to the service (LOG_LEVEL)."""
    child = _spawn("api", [
        sys.executable, "-m", "uvicorn", "clockify_tracker.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ], dict(os.environ))  # fmt: skip
    if answers_within(child.process, f"http://127.0.0.1:{port}/healthz", timeout=60):
        return child
    child.stop(5)
    raise RuntimeError(f"the API did not start; see {child.log_path}")


def start_worker(settings: Settings, smtp_port: int) -> Child:
    """The worker as tests/fixtures/worker.py starts it (prefork, 2 children, embedded beat),
    sending its mail to the sink."""
    hostname = f"soak-{uuid.uuid4().hex[:8]}@localhost"
    env = dict(os.environ)
    env.update(
        CELERY_BEAT_SCHEDULE_FILE=str(RUN_DIR / "celerybeat-schedule"),
        MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port),
        MAIL_USE_TLS="false", MAIL_USE_SSL="false", MAIL_USERNAME="",
    )  # fmt: skip
    child = _spawn("worker", [
        sys.executable, "-m", "celery", "-A", "worker", "worker", "--beat",
        "--concurrency", "2", "--pool", "prefork", "--hostname", hostname,
        "--loglevel", "INFO", "--without-mingle", "--without-gossip",
    ], env)  # fmt: skip
    app = create_celery_app(settings)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and child.process.poll() is None:
            try:
                if app.control.ping(destination=[hostname], timeout=0.5):
                    return child
            except (OSError, redis.exceptions.ConnectionError, kombu.exceptions.OperationalError):
                time.sleep(0.2)
    finally:
        app.close()
    child.stop(5)
    raise RuntimeError(f"the worker did not answer a ping; see {child.log_path}")


class _CountingHandler:
    """Accepts every message; counts them and their distinct Message-IDs (a resend repeats
    one). Keeps nothing else: 12,000 parsed messages would be memory for nothing."""

    def __init__(self, delivered: ctypes.c_longlong, distinct: ctypes.c_longlong) -> None:
        self.delivered, self.distinct = delivered, distinct
        self.seen: set[bytes] = set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        found = re.search(rb"(?im)^message-id:\s*(\S+)", envelope.original_content)
        self.seen.add(found.group(1) if found else os.urandom(8))
        self.delivered.value += 1
        self.distinct.value = len(self.seen)
        return "250 OK"


def _run_sink(
    port: int,
    delivered: ctypes.c_longlong,
    distinct: ctypes.c_longlong,
    ready: Event,
) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops it
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, forked with it
    controller = Controller(_CountingHandler(delivered, distinct), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:  # until the parent terminates it
        signal.pause()


@dataclass
class SmtpSink:
    """aiosmtpd in a process of its own: a mail server is another machine, and its parsing
    must not take CPU from the load generator's event loop."""

    port: int
    process: multiprocessing.process.BaseProcess
    delivered: ctypes.c_longlong
    distinct: ctypes.c_longlong

    @classmethod
    def start(cls) -> SmtpSink:
        # fork, not spawn: spawn would import this module again, and with it reset the schema.
        context = multiprocessing.get_context("fork")
        # No lock: one writer, and a lock held by a sink killed mid-count would block the reader.
        delivered = context.RawValue(ctypes.c_longlong, 0)
        distinct = context.RawValue(ctypes.c_longlong, 0)
        ready = context.Event()
        port = free_port()
        process = context.Process(
            target=_run_sink, args=(port, delivered, distinct, ready), daemon=True
        )
        process.start()
        if not ready.wait(15):
            process.kill()
            raise RuntimeError("the SMTP sink did not start")
        return cls(port, process, delivered, distinct)

    def stop(self) -> None:
        # Terminated, not asked: a multiprocessing Event set for a process that died waiting on
        # it (Ctrl-C reaches the whole process group) would block here forever.
        self.process.terminate()
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


# --- load --------------------------------------------------------------------------------------


@dataclass
class Stream:
    """One stream's tally. Latency counts from the scheduled send time."""

    name: str
    rate: float
    expected_status: int
    offered: int = 0
    answered: int = 0
    ok: int = 0
    conflicts: int = 0
    last_done: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: dict[str, str] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    routes: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def achieved(self, t0: float) -> float:
        window = self.offered / self.rate if self.rate else 0.0
        elapsed = max(window, self.last_done - t0)
        return (self.ok + self.conflicts) / elapsed if elapsed > 0 else 0.0

    async def fire(
        self, route: str, due: float, send: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response | None:
        loop = asyncio.get_running_loop()
        self.offered += 1
        self.lags.append(loop.time() - due)
        try:
            response = await send()
        except httpx.HTTPError as exc:
            self.errors[type(exc).__name__] += 1
            return None
        done = loop.time()
        self.last_done = max(self.last_done, done)
        self.answered += 1
        self.latencies.append(done - due)
        self.routes[route].append(done - due)
        if response.status_code == self.expected_status:
            self.ok += 1
        elif response.status_code == 409 and self.name == "manual runs":
            self.conflicts += 1
        else:
            key = f"HTTP {response.status_code}"
            self.errors[key] += 1
            self.error_samples.setdefault(key, f"{route}: {response.text[:160]}")
        return response


async def open_loop(
    t0: float, rate: float, count: int, fire_one: Callable[[int, float], Coroutine[Any, Any, Any]]
) -> None:
    """Request k goes out at t0 + k/rate, whatever became of the earlier ones."""
    loop = asyncio.get_running_loop()
    in_flight: set[asyncio.Task[Any]] = set()
    try:
        for k in range(count):
            due = t0 + k / rate
            if (delay := due - loop.time()) > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(fire_one(k, due))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        if in_flight:
            await asyncio.wait(in_flight)
    finally:  # interrupted: the requests in flight go too
        left = list(in_flight)
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)


@dataclass
class _Entry:
    entry_id: str
    user: int
    description: str
    start: datetime
    end: datetime | None = None


@dataclass(order=True)
class _FollowUp:
    due: float
    seq: int
    event: str = field(compare=False)
    entry: _Entry = field(compare=False)


class WebhookMix:
    """What each webhook slot sends: a follow-up that has fallen due (the end of a timer started
    3 to 30 s earlier; after an end, now and then an edit or a delete), else a new entry (a
    started timer, or 15 % of the time an entry created by hand). Roughly: 42 % start, 42 %
    end, 7 % manual, 6 % edit, 3 % delete. Entry ids are unique to the run."""

    def __init__(self, rng: random.Random, tag: str) -> None:
        self._rng, self._tag = rng, tag
        self._template = entry(workspace_id=WORKSPACE)
        self._due: list[_FollowUp] = []
        self._seq = 0
        self.sent: Counter[str] = Counter()

    def _push(self, delay: float, now: float, event: str, item: _Entry) -> None:
        self._seq += 1
        heapq.heappush(self._due, _FollowUp(now + delay, self._seq, event, item))

    def _body(self, item: _Entry) -> bytes:
        user_id = f"5f50b0b0b0b0b0b0b0b0{item.user:04x}"
        seconds = int((item.end - item.start).total_seconds()) if item.end else None
        body = dict(self._template)
        body.update(
            id=item.entry_id, description=item.description, userId=user_id,
            user={"id": user_id, "name": f"Usuario {item.user:02d}", "status": "ACTIVE"},
            timeInterval={
                "start": _iso(item.start), "end": _iso(item.end) if item.end else None,
                "duration": format_duration(seconds),
            },
            currentlyRunning=item.end is None,
        )  # fmt: skip
        return json.dumps(body).encode()

    def next(self, now: float) -> tuple[str, bytes]:
        rng, wall = self._rng, datetime.now(UTC).replace(microsecond=0)
        if self._due and self._due[0].due <= now:
            follow = heapq.heappop(self._due)
            item, event = follow.entry, follow.event
            if event == "end":
                item.end = wall
                if (draw := rng.random()) < 0.15:
                    self._push(rng.uniform(2, 10), now, "edit", item)
                elif draw < 0.20:
                    self._push(rng.uniform(2, 10), now, "delete", item)
            elif event == "edit":
                if rng.random() < 0.5:  # times moved past the tolerance: it goes to review
                    item.start -= timedelta(minutes=15)
                else:
                    item.description += " (corregido)"
        else:
            item = _Entry(
                f"{self._tag}{self._seq:018x}", rng.randrange(USERS), rng.choice(DESCRIPTIONS),
                wall,
            )  # fmt: skip
            self._seq += 1
            if rng.random() < 0.15:
                event = "manual"
                item.start = wall - timedelta(hours=rng.uniform(1, 4))
                item.end = item.start + timedelta(minutes=rng.randrange(15, 120))
                if rng.random() < 0.05:
                    self._push(rng.uniform(2, 10), now, "delete", item)
            else:
                event = "start"
                self._push(rng.uniform(3, 30), now, "end", item)
        self.sent[event] += 1
        return event, self._body(item)


@dataclass
class Login:
    """An account's cookies. They are sent by hand: outside development they are Secure, and
    httpx (rightly) does not send a Secure cookie over plain http."""

    email: str
    access: str = ""
    refresh: str = ""

    def take(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            raise RuntimeError(f"{self.email}: {response.status_code} {response.text[:200]}")
        self.access = response.cookies["access_token"]
        self.refresh = response.cookies["refresh_token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": f"access_token={self.access}"}

    async def log_in(self, client: httpx.AsyncClient) -> None:
        self.take(
            await client.post("/api/auth/login", json={"email": self.email, "password": PASSWORD})
        )

    async def renew(self, client: httpx.AsyncClient) -> None:
        self.take(
            await client.post(
                "/api/auth/refresh", headers={"Cookie": f"refresh_token={self.refresh}"}
            )
        )


@dataclass(frozen=True)
class Sample:
    at: float
    api: float
    worker: float
    worker_processes: int


async def sample_memory(
    api_pid: int, worker_pid: int, t0: float, end: float, samples: list[Sample]
) -> None:
    loop = asyncio.get_running_loop()
    k = 0
    while (due := t0 + k * MEMORY_EVERY) <= end:
        if (delay := due - loop.time()) > 0:
            await asyncio.sleep(delay)
        pids = [worker_pid, *_children(worker_pid)]
        worker = sum(_rss_mib(pid) for pid in pids)
        samples.append(Sample(loop.time() - t0, _rss_mib(api_pid), worker, len(pids)))
        k += 1


@dataclass
class Options:
    duration: float
    webhooks_per_second: float
    reads_per_second: float
    manual_run_every: float
    drain: float
    seed: int


@dataclass
class Outcome:
    options: Options
    streams: list[Stream]
    samples: list[Sample]
    mix: Counter[str]
    warmup_accepted: int
    automations_created: datetime
    load_end: datetime
    drained: float | None
    database: dict[str, Any]
    renewals_failed: int
    others_at_start: int


class Load:
    def __init__(self, settings: Settings, base_url: str, options: Options) -> None:
        self.settings, self.options = settings, options
        self.rng = random.Random(options.seed)  # noqa: S311 - a reproducible mix, not a secret
        self.mix = WebhookMix(self.rng, uuid.uuid4().hex[:6])
        self.admin, self.coordinator = Login(ADMIN), Login(COORDINATOR)
        self.service = {"Authorization": settings.secret_token.get_secret_value()}
        self.tokens = {
            event: getattr(settings, name).get_secret_value() for event, name in TOKENS.items()
        }
        timeout = httpx.Timeout(REQUEST_TIMEOUT)
        self.webhook_client = httpx.AsyncClient(
            base_url=base_url, timeout=timeout,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=64),
        )  # fmt: skip
        self.client = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, limits=httpx.Limits(max_connections=100)
        )
        self.webhooks = Stream("webhooks", options.webhooks_per_second, 202)
        self.reads = Stream("reads", options.reads_per_second, 200)
        self.runs = Stream("manual runs", 1 / options.manual_run_every, 200)
        self.session_ids: list[int] = []
        self.automation_ids: list[int] = []
        self.today = datetime.now(ZoneInfo(settings.app_timezone)).date().isoformat()
        self.renewals_failed = 0

    async def aclose(self) -> None:
        await self.webhook_client.aclose()
        await self.client.aclose()

    async def setup(self) -> None:
        """Log in both accounts; the administrator creates the automations over the API."""
        await self.admin.log_in(self.client)
        await self.coordinator.log_in(self.client)
        for n in range(AUTOMATIONS):
            response = await self.client.post(
                "/api/automatizaciones", headers=self.admin.headers,
                json={
                    "nombre": f"prod_soak_{n + 1}", "descripcion": "Soak: cada minuto",
                    "script_path": SCRIPT, "cron_expresion": "* * * * *", "activo": True,
                    "variables_personalizadas": {"lote": n + 1},
                },
            )  # fmt: skip
            if response.status_code != 200:
                raise RuntimeError(f"automation not created: {response.text[:300]}")
            self.automation_ids.append(response.json()["data"]["id"])

    # One request of each stream ---------------------------------------------------------------

    def _send_webhook(self, now: float) -> tuple[str, Callable[[], Awaitable[httpx.Response]]]:
        event, body = self.mix.next(now)
        headers = {"Content-Type": "application/json", "Clockify-Signature": self.tokens[event]}

        def send() -> Awaitable[httpx.Response]:
            return self.webhook_client.post(
                f"/api-clockify/webhook/{event}", content=body, headers=headers
            )

        return f"webhook/{event}", send

    def _read(self, k: int) -> tuple[str, str]:
        which = k % 5
        if which == 0:
            return "sessions/getAll", "/api-clockify/sessions/getAll?limit=50"
        if which == 1:
            return "users/getAll", "/api-clockify/users/getAll/?limit=50"
        if which == 2:
            if not self.session_ids:
                return "binnacle/getAll", "/api-clockify/session-binnacle/getAll/?limit=50"
            session_id = self.rng.choice(self.session_ids)
            return "binnacle/getByIdSession", (
                f"/api-clockify/session-binnacle/getByIdSession/{session_id}?limit=50"
            )
        if which == 3:
            word = self.rng.choice(DESCRIPTIONS).split()[0].lower()
            return "sessions/search", f"/api-clockify/sessions/search/?description={word}&limit=50"
        return "users/search", f"/api-clockify/users/search/?startDate={self.today}&limit=50"

    async def webhook(self, k: int, due: float) -> None:
        route, send = self._send_webhook(asyncio.get_running_loop().time())
        await self.webhooks.fire(route, due, send)

    async def read(self, k: int, due: float) -> None:
        route, path = self._read(k)
        # The service token and a coordinator's cookie in turn (5 routes, 2 ways: all pairs).
        headers = self.service if k % 2 == 0 else self.coordinator.headers
        response = await self.reads.fire(route, due, lambda: self.client.get(path, headers=headers))
        if route == "sessions/getAll" and response is not None and response.status_code == 200:
            self.session_ids = [row["idSesion"] for row in response.json()]

    async def manual_run(self, k: int, due: float) -> None:
        automation_id = self.automation_ids[k % len(self.automation_ids)]
        await self.runs.fire(
            "automations/ejecutar", due,
            lambda: self.client.post(
                "/api/automatizaciones/ejecutar", headers=self.admin.headers,
                json={"id_automatizacion": automation_id},
            ),
        )  # fmt: skip

    async def warm_up(self) -> int:
        """A few requests of each kind before the clock starts (pools, first-call imports);
        their webhooks are counted when the stored deliveries are compared."""
        accepted = 0
        loop = asyncio.get_running_loop()
        for _ in range(10):
            _, send = self._send_webhook(loop.time())
            accepted += (await send()).status_code == 202
        for k in range(5):
            _, path = self._read(k)
            await self.client.get(path, headers=self.service)
        return accepted

    async def keep_logged_in(self, end: float) -> None:
        """Renew both accounts' cookies before the 15-minute access cookie runs out."""
        loop = asyncio.get_running_loop()
        while loop.time() + REFRESH_EVERY < end:
            await asyncio.sleep(REFRESH_EVERY)
            for account in (self.admin, self.coordinator):
                try:
                    await account.renew(self.client)
                except (httpx.HTTPError, RuntimeError, KeyError):
                    self.renewals_failed += 1

    async def run(self, api_pid: int, worker_pid: int) -> tuple[float, list[Sample]]:
        options, loop = self.options, asyncio.get_running_loop()
        t0 = loop.time() + 0.5
        end = t0 + options.duration
        samples: list[Sample] = []
        await asyncio.gather(
            open_loop(t0, options.webhooks_per_second,
                      round(options.duration * options.webhooks_per_second), self.webhook),
            open_loop(t0, options.reads_per_second,
                      round(options.duration * options.reads_per_second), self.read),
            open_loop(t0, 1 / options.manual_run_every,
                      math.floor(options.duration / options.manual_run_every), self.manual_run),
            sample_memory(api_pid, worker_pid, t0, end, samples),
            self.keep_logged_in(end),
        )  # fmt: skip
        return t0, samples


# --- after the load ----------------------------------------------------------------------------


async def backlog(connection: asyncpg.Connection) -> int:
    return int(
        await connection.fetchval(
            "SELECT (SELECT count(*) FROM clockify_event WHERE processed_at IS NULL)"
            " + (SELECT count(*) FROM email_message WHERE status IN ('pending', 'sending'))"
            " + (SELECT count(*) FROM automation_run"
            "    WHERE status IN ('pendiente', 'en_ejecucion'))"
        )
    )


async def wait_for_backlog(dsn: str, limit: float) -> float | None:
    """Seconds until nothing is left to apply, send or run; None when `limit` passed first."""
    connection = await asyncpg.connect(dsn)
    started = time.monotonic()
    try:
        while time.monotonic() - started < limit:
            if await backlog(connection) == 0:
                return time.monotonic() - started
            await asyncio.sleep(1)
        return None
    finally:
        await connection.close()


async def database_figures(
    dsn: str, organization_id: int, since: datetime, until: datetime
) -> dict[str, Any]:
    connection = await asyncpg.connect(dsn)
    try:
        # Gone or replaced when another benchmark rebuilt the database during the run.
        figures: dict[str, Any] = {
            "intact": await connection.fetchval(
                "SELECT count(*) FROM organization WHERE id = $1 AND name = $2",
                organization_id,
                ORGANIZATION,
            )
            == 1
        }
        events = await connection.fetchrow(
            "SELECT count(*) AS stored, count(processed_at) AS applied,"
            " count(*) FILTER (WHERE attempts > 0 OR last_error IS NOT NULL) AS failed_attempts"
            " FROM clockify_event"
        )
        grouped = {
            "outcomes": "SELECT coalesce(outcome, 'not applied'), count(*) FROM clockify_event"
            " GROUP BY 1 ORDER BY 2 DESC",
            "emails": "SELECT status, count(*) FROM email_message GROUP BY 1 ORDER BY 2 DESC",
            "email_kinds": "SELECT kind, count(*) FROM email_message GROUP BY 1 ORDER BY 2 DESC",
            "cron_runs": "SELECT status, count(*) FROM automation_run WHERE scheduled"
            " GROUP BY 1 ORDER BY 2 DESC",
            "manual_runs": "SELECT status, count(*) FROM automation_run WHERE NOT scheduled"
            " GROUP BY 1 ORDER BY 2 DESC",
            "outbox": "SELECT status, count(*) FROM outbox_message GROUP BY 1 ORDER BY 2 DESC",
            "error_log": "SELECT endpoint || ' ' || status_code, count(*) FROM error_log"
            " GROUP BY 1 ORDER BY 2 DESC",
        }
        figures.update(dict(events) if events else {})
        for name, query in grouped.items():
            figures[name] = {str(key): int(count) for key, count in await connection.fetch(query)}
        figures["cron_ticks_recorded"] = await connection.fetchval(
            "SELECT count(*) FROM automation_run"
            " WHERE scheduled AND scheduled_for > $1 AND scheduled_for <= $2",
            since,
            until,
        )
        for table in ("clockify_session", "binnacle_entry", "notification"):
            figures[table] = await connection.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608
        figures["max_run_wait"] = await connection.fetchval(
            "SELECT max(extract(epoch FROM started_at - created_at)) FROM automation_run"
        )
        figures["max_apply_wait"] = await connection.fetchval(
            "SELECT max(extract(epoch FROM processed_at - received_at)) FROM clockify_event"
        )
        figures["max_email_wait"] = await connection.fetchval(
            "SELECT max(extract(epoch FROM sent_at - created_at)) FROM email_message"
        )
        return figures
    finally:
        await connection.close()


# --- report ------------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value * 1000:.1f}"


def _counts(found: dict[str, int]) -> str:
    return ", ".join(f"{key} {count}" for key, count in found.items()) or "none"


def _window_mean(samples: list[Sample], start: float, stop: float, pick: str) -> float:
    chosen = [float(getattr(s, pick)) for s in samples if start <= s.at < stop]
    return sum(chosen) / len(chosen) if chosen else math.nan


def _slope_per_minute(samples: list[Sample], start: float, pick: str) -> float:
    points = [(s.at, float(getattr(s, pick))) for s in samples if s.at >= start]
    if len(points) < 3:
        return math.nan
    mean_t = sum(t for t, _ in points) / len(points)
    mean_v = sum(v for _, v in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / spread * 60


def report(outcome: Outcome, t0: float, api: Child, worker: Child, sink: SmtpSink) -> None:
    options, db = outcome.options, outcome.database
    webhooks, reads, runs = outcome.streams
    print(
        f"soak: {options.duration:g} s open loop: {options.webhooks_per_second:g} webhooks/s, "
        f"{options.reads_per_second:g} reads/s, a manual run every {options.manual_run_every:g} s"
        f"; {AUTOMATIONS} automations '* * * * *' on {SCRIPT}"
    )
    print(
        "processes: API uvicorn (1 process), Celery worker prefork x2 with embedded beat (sweepers"
        " every 5 s, dispatcher 5 s, monitor 30 s, reports off), SMTP sink; bench database and"
        " Redis index"
    )
    print("latency counts from each request's scheduled send time (open loop)")
    print(f"warm-up before the clock: 10 webhooks ({outcome.warmup_accepted} accepted), 5 reads")
    if outcome.others_at_start:
        print(
            f"WARNING: {outcome.others_at_start} other connection(s) to the bench database at the"
            " start: another benchmark running? Each rebuilds the database when it starts."
        )
    print()
    head = (
        f"{'stream':<13}{'offered':>8}{'answered':>9}{'ok':>7}{'offered/s':>10}{'achieved/s':>11}"
        f"{'errors':>7}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}"
    )
    print(head)
    for stream in outcome.streams:
        ordered = sorted(stream.latencies)
        print(
            f"{stream.name:<13}{stream.offered:>8}{stream.answered:>9}{stream.ok:>7}"
            f"{stream.rate:>10.2f}{stream.achieved(t0):>11.2f}{sum(stream.errors.values()):>7}"
            f"{_ms(_percentile(ordered, 0.5)):>8}{_ms(_percentile(ordered, 0.95)):>8}"
            f"{_ms(_percentile(ordered, 0.99)):>8}{_ms(ordered[-1] if ordered else math.nan):>8}"
        )
    print(f"manual runs answered 409 (that automation still queued or running): {runs.conflicts}")
    for stream in outcome.streams:
        for key, count in stream.errors.most_common():
            sample = stream.error_samples.get(key, "")
            print(f"  {stream.name} error {key}: {count}" + (f"  e.g. {sample}" if sample else ""))
    print()
    print(f"{'route':<26}{'answered':>9}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}")
    for stream in outcome.streams:
        for route, values in sorted(stream.routes.items()):
            ordered = sorted(values)
            print(
                f"{route:<26}{len(ordered):>9}{_ms(_percentile(ordered, 0.5)):>8}"
                f"{_ms(_percentile(ordered, 0.95)):>8}{_ms(_percentile(ordered, 0.99)):>8}"
                f"{_ms(ordered[-1]):>8}"
            )
    lags = sorted(lag for stream in outcome.streams for lag in stream.lags)
    print(
        f"load generator: sent late by p99 {_ms(_percentile(lags, 0.99))} ms, "
        f"max {_ms(lags[-1] if lags else math.nan)} ms (included in the latencies above)"
    )

    samples, duration = outcome.samples, options.duration
    warmup = min(60.0, duration / 4)
    window = min(60.0, (duration - warmup) / 2)
    print()
    print(
        f"memory (RSS MiB, every {MEMORY_EVERY:g} s; first window {warmup:g}-{warmup + window:g}"
        f" s after a warm-up, last {duration - window:g}-{duration:g} s)"
    )
    print(f"{'process':<28}{'first':>8}{'last':>8}{'growth':>9}{'%':>7}{'MiB/min':>9}")
    memory: dict[str, tuple[float, float]] = {}
    processes = max((s.worker_processes for s in samples), default=0)
    for label, pick in (
        ("API (uvicorn)", "api"),
        (f"worker (main + {processes - 1} children)", "worker"),
    ):
        first = _window_mean(samples, warmup, warmup + window, pick)
        last = _window_mean(samples, duration - window, duration + 1, pick)
        memory[label] = (first, last)
        slope = _slope_per_minute(samples, warmup, pick)
        print(
            f"{label:<28}{first:>8.1f}{last:>8.1f}{last - first:>+9.1f}"
            f"{(last - first) / first * 100:>+7.1f}{slope:>+9.2f}"
        )

    print()
    if not db["intact"]:
        print(
            "WARNING: the organization this run seeded is gone: the bench database was rebuilt"
            " during the run (another benchmark started?). These figures are not the service's."
        )
    drained = outcome.drained
    print(
        f"after the load: backlog drained in {drained:.1f} s"
        if drained is not None
        else f"after the load: backlog NOT drained after {options.drain:g} s"
    )
    accepted = webhooks.ok + outcome.warmup_accepted
    print(
        f"webhooks: accepted (202) {accepted}, stored {db['stored']}, applied {db['applied']}, "
        f"with failed apply attempts {db['failed_attempts']}; sent by kind: "
        f"{_counts(dict(outcome.mix.most_common()))}"
    )
    print(f"  outcomes: {_counts(db['outcomes'])}; longest wait to be applied "
          f"{db['max_apply_wait'] or 0:.1f} s")  # fmt: skip
    print(
        f"  rows: {db['clockify_session']} sessions, {db['binnacle_entry']} binnacle entries, "
        f"{db['notification']} notifications"
    )
    queued = sum(db["emails"].values())
    print(
        f"emails: queued in the database {queued} ({_counts(db['emails'])}); delivered to the "
        f"sink {sink.delivered.value} ({sink.distinct.value} distinct Message-IDs); longest "
        f"wait to be sent {db['max_email_wait'] or 0:.1f} s"
    )
    print(f"  by kind: {_counts(db['email_kinds'])}")
    minutes = int(
        outcome.load_end.timestamp() // 60 - outcome.automations_created.timestamp() // 60
    )
    print(
        f"automation runs: cron {_counts(db['cron_runs'])}; manual {_counts(db['manual_runs'])}"
        f"; cron ticks during the load {db['cron_ticks_recorded']} recorded of "
        f"{minutes * AUTOMATIONS} due; longest wait in the queue {db['max_run_wait'] or 0:.1f} s"
    )
    print(f"outbox: {_counts(db['outbox'])}; error_log rows: {_counts(db['error_log'])}")
    log_errors = {child.name: child.error_lines() for child in (api, worker)}
    print(
        "log lines at ERROR or with a traceback: "
        + ", ".join(f"{name} {len(lines)}" for name, lines in log_errors.items())
        + f" (logs in {RUN_DIR.relative_to(REPO_ROOT)}/)"
    )
    for name, lines in log_errors.items():
        for line in list(dict.fromkeys(lines))[:3]:
            print(f"  {name}: {line[:200]}")
    if outcome.renewals_failed:
        print(f"cookie renewals failed: {outcome.renewals_failed}")

    print()
    print("verdicts (figures only; this script never fails a build):")

    def verdict(passed: bool, text: str) -> None:
        print(f"  [{'ok' if passed else 'MISS'}] {text}")

    verdict(
        db["intact"] and not outcome.others_at_start,
        "the run had the bench database to itself (nobody else connected at the start, its"
        " data still there at the end)",
    )
    rates = [(s.name, s.rate, s.achieved(t0)) for s in (webhooks, reads)]
    verdict(
        all(achieved >= 0.99 * rate for _, rate, achieved in rates),
        "achieved = offered within 1 %: "
        + ", ".join(f"{name} {achieved:.2f}/{rate:.2f} per s" for name, rate, achieved in rates),
    )
    p99 = _percentile(sorted(webhooks.latencies), 0.99)
    verdict(p99 < 0.1, f"webhook p99 under 100 ms: {_ms(p99)} ms")
    http_errors = sum(sum(s.errors.values()) for s in outcome.streams)
    verdict(http_errors == 0, f"no error in the answers: {http_errors} (409s apart)")
    background = {
        "deliveries not applied": db["stored"] - db["applied"],
        "deliveries with failed attempts": db["failed_attempts"],
        "webhooks accepted but not stored": max(0, accepted - db["stored"]),
        "emails not sent": queued - db["emails"].get("sent", 0),
        "emails sent but not delivered": max(0, db["emails"].get("sent", 0) - sink.distinct.value),
        "runs in error or lost": sum(
            group.get(status, 0)
            for group in (db["cron_runs"], db["manual_runs"])
            for status in ("error", "perdida")
        ),
        "error_log rows": sum(db["error_log"].values()),
        "ERROR log lines": sum(len(lines) for lines in log_errors.values()),
    }
    verdict(
        not any(background.values()),
        "no error in the background: "
        + (_counts({k: v for k, v in background.items() if v}) if any(background.values())
           else "none"),
    )  # fmt: skip
    flat = {
        label: (last - first, last - first < max(FLAT_MIB, FLAT_SHARE * first))
        for label, (first, last) in memory.items()
    }
    verdict(
        all(passed for _, passed in flat.values()),
        f"memory flat (last minute - first minute < max({FLAT_MIB:g} MiB, "
        f"{FLAT_SHARE:.0%} of the first)): "
        + ", ".join(f"{label.split(' (')[0]} {growth:+.1f} MiB" for label, (growth, _) in
                    flat.items()),
    )  # fmt: skip


# --- main --------------------------------------------------------------------------------------


def _dsn(settings: Settings) -> str:
    return settings.database_url.set(drivername="postgresql").render_as_string(hide_password=False)


async def other_sessions(dsn: str) -> int:
    """Connections to the bench database other than this one: another benchmark running."""
    connection = await asyncpg.connect(dsn)
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    finally:
        await connection.close()


async def seed(settings: Settings) -> int:
    """The organization, its Clockify workspace (so webhooks land in it and its coordinator
    gets the emails), an administrator and a coordinator; returns the organization's id."""
    database = Database(settings.database_url, pool_size=2)
    try:
        organization = await create_organization(database, ORGANIZATION)
        async with database.unit_of_work() as session:
            session.add(
                ClockifyWorkspace(id=WORKSPACE, organization_id=organization.id, name=ORGANIZATION)
            )
        await create_account(database, ADMIN, organization=organization, role=Role.ADMINISTRADOR)
        await create_account(
            database, COORDINATOR, organization=organization, role=Role.COORDINADOR
        )
        return organization.id
    finally:
        await database.dispose()


@dataclass(frozen=True)
class Run:
    api: Child
    worker: Child
    sink: SmtpSink
    port: int
    organization_id: int
    others_at_start: int


async def soak(settings: Settings, options: Options, run: Run) -> None:
    main_task, loop = asyncio.current_task(), asyncio.get_running_loop()
    assert main_task is not None
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, main_task.cancel)
    load = Load(settings, f"http://127.0.0.1:{run.port}", options)
    try:
        await load.setup()
        created = datetime.now(UTC)
        warmup_accepted = await load.warm_up()
        t0, samples = await load.run(run.api.process.pid, run.worker.process.pid)
        load_end = datetime.now(UTC)
    finally:
        await load.aclose()
    dsn = _dsn(settings)
    drained = await wait_for_backlog(dsn, options.drain)
    figures = await database_figures(dsn, run.organization_id, created, load_end)
    outcome = Outcome(
        options, [load.webhooks, load.reads, load.runs], samples, load.mix.sent,
        warmup_accepted, created, load_end, drained, figures, load.renewals_failed,
        run.others_at_start,
    )  # fmt: skip
    # The logs are complete once the processes have stopped: report afterwards.
    run.worker.stop(30)
    run.api.stop(15)
    report(outcome, t0, run.api, run.worker, run.sink)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _on_signals(handler: Callable[[int, Any], Any] | int) -> None:
    """Ctrl-C and SIGTERM alike; explicitly, as a shell starting this in the background sets
    SIGINT to ignored (and an event loop, when it closes, resets what it had taken over)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handler)


def main(options: Options) -> None:
    settings = Settings()
    shutil.rmtree(RUN_DIR, ignore_errors=True)
    RUN_DIR.mkdir(parents=True)
    redis = Redis.from_url(settings.redis_url.get_secret_value())
    redis.flushdb()  # the bench's own index: messages a stopped run left queued
    _on_signals(_interrupt)
    children: list[Child] = []
    sink = SmtpSink.start()
    interrupted = False
    try:
        others = asyncio.run(other_sessions(_dsn(settings)))
        organization_id = asyncio.run(seed(settings))
        _on_signals(_interrupt)
        port = free_port()
        children.append(api := start_api(port))
        children.append(worker := start_worker(settings, sink.port))
        run = Run(api, worker, sink, port, organization_id, others)
        asyncio.run(soak(settings, options, run))
    except (KeyboardInterrupt, asyncio.CancelledError):
        interrupted = True
        print("interrupted: stopping the processes", file=sys.stderr)
    finally:
        _on_signals(signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        for child in reversed(children):
            child.stop(15)
        sink.stop()
        redis.flushdb()
        redis.close()
        SERVICES.stop_embedded()
    if interrupted:
        sys.exit(130)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of load")
    parser.add_argument("--webhooks-per-second", type=float, default=20.0)
    parser.add_argument("--reads-per-second", type=float, default=5.0)
    parser.add_argument("--manual-run-every", type=float, default=10.0, help="seconds")
    parser.add_argument(
        "--drain", type=float, default=60.0, help="seconds to wait for the backlog afterwards"
    )
    parser.add_argument("--seed", type=int, default=1, help="of the webhook mix")
    arguments = parser.parse_args()
    main(
        Options(
            arguments.duration, arguments.webhooks_per_second, arguments.reads_per_second,
            arguments.manual_run_every, arguments.drain, arguments.seed,
        )
    )  # fmt: skip
