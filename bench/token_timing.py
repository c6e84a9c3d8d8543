"""Do the secret-token checks tell a caller, through timing, how close a wrong guess is?

Two checks, each fed wrong tokens of four shapes built from the configured secret:
  a  right length, first character wrong      b  right length, last character wrong
  c  one character short (the token's prefix)  d  one character long (the token plus one)
plus, where it reaches the same comparison, no token at all (e: header missing, e': empty), and
the right token (f) as a reference only: after the comparison it takes another path.
  service token   auth.dependencies.is_service_token: hmac.compare_digest of the UTF-8 bytes of
                  the Authorization header and SECRET_TOKEN. An empty or missing header returns
                  before the comparison, so e is shown but stays out of the verdicts.
  webhooks        clockify.webhook_checks.signature_matches: compare_digest of the UTF-8 bytes of
                  Clockify-Signature and the event's CLOCKIFY_SECRET_TOKEN_*; a missing header is
                  compared as 32 NUL bytes, so e and e' reach the comparison too.

Level 1, in process: the functions themselves, --calls calls per class in batches of 1,000, the
batches of all classes shuffled together so machine drift hits every class alike, a new string
object per batch. Median ns per call across batches, and the IQR.
Level 2, HTTP: the app under uvicorn on loopback (bench database), --requests requests per class
in random order over one keep-alive connection (httpx); median and p90 latency. Routes whose
wrong-token answer (401) comes before any database work: GET /api-clockify/users/getAll/ (its
first dependency is the principal, which refuses a raw wrong Authorization outright), and
POST /api-clockify/webhook/end, whose 401 costs one Redis SET (the error_log throttle).

Verdict, per check, over the six pairs of a-d (how close a guess is): Δ is the difference of two
classes' medians. Each median's standard error is measured on its own samples: split them at
random into two halves many times; the difference of the halves' medians has four times the
variance of the whole median. A pair differs when |Δ| > z * sqrt(se1² + se2²), z set for a 1 %
chance of a false alarm over all the pairs of the verdict (Bonferroni). c and d sit one
character either side of the secret's length: a comparison whose work changed where the length
or the content stops matching would show there, while the caller's own input changes by a byte.
The pairs with e/e' are tested the same way on a line of their own: the caller knows it sent no
token, so a difference there says nothing about the secret.
Controls, printed with the rest: the same criterion must call two leaky versions of the service
check DISTINGUISHABLE (`==` on the bytes; a byte loop that stops at the first difference), and,
over HTTP, the right token (another path after the check) against a wrong one.
Prints figures and verdicts; never fails a build.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import math
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from statistics import NormalDist
from typing import IO

from bench._services import answers_within, configure_bench_environment

SERVICES = configure_bench_environment()

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from tests.support.services import REPO_ROOT  # noqa: E402

from clockify_tracker.auth.dependencies import is_service_token  # noqa: E402
from clockify_tracker.clockify.reducer import WebhookEvent  # noqa: E402
from clockify_tracker.clockify.webhook_checks import (  # noqa: E402
    _TOKEN_SETTING,  # the very setting each event's signature is compared with
    signature_matches,
)
from clockify_tracker.config import Settings  # noqa: E402
from clockify_tracker.local.embedded import free_port  # noqa: E402

BATCH_CALLS = 1_000
WARM_UP_REQUESTS = 300
FAMILY_ALPHA = 0.01  # chance of a false DISTINGUISHABLE over all the pairs of one verdict
CLOSENESS = ("a", "b", "c", "d")
SERVICE_PATH = "/api-clockify/users/getAll/"
WEBHOOK_EVENT = WebhookEvent.END
CAPTURE = REPO_ROOT / "tests" / "data" / "clockify" / "timer_stopped_1.json"
# Shuffles the order of measurements and the half-splits; nothing secret comes from it.
RNG = random.Random()  # noqa: S311

Check = Callable[[str | None, Settings], bool]


# --- token classes ---------------------------------------------------------------------------


def _replace(token: str, index: int) -> str:
    chars = list(token)
    chars[index] = "x" if chars[index] != "x" else "y"
    return "".join(chars)


LABELS = {
    "a": "right length, first char wrong",
    "b": "right length, last char wrong",
    "c": "one char short (a prefix)",
    "d": "one char long (token + 1)",
    "e": "header missing",
    "e'": "header empty",
    "f": "right token (reference)",
}
MAKERS: dict[str, Callable[[str], str | None]] = {
    "a": lambda t: _replace(t, 0),
    "b": lambda t: _replace(t, -1),
    "c": lambda t: t[:-1],
    "d": lambda t: t + "x",
    "e": lambda t: None,
    "e'": lambda t: "",
    "f": lambda t: t,
}


def _length(value: str | None) -> str:
    return "-" if value is None else str(len(value))


# --- statistics ------------------------------------------------------------------------------


def _quantile(ordered: Sequence[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _median_se(values: list[float], splits: int) -> float:
    """Standard error of the median of `values`, from its own samples: the difference between
    the medians of two random halves has four times the variance of the whole median."""
    pool = list(values)
    half = len(pool) // 2
    differences = []
    for _ in range(splits):
        RNG.shuffle(pool)
        differences.append(
            statistics.median(pool[:half]) - statistics.median(pool[half : 2 * half])
        )
    return statistics.pstdev(differences, mu=0.0) / 2


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    delta: float  # median(first) - median(second)
    floor: float  # z * standard error of delta

    @property
    def differs(self) -> bool:
        return abs(self.delta) > self.floor


@dataclass(frozen=True)
class Verdict:
    pairs: list[Pair]
    z: float

    @property
    def distinguishable(self) -> bool:
        return any(p.differs for p in self.pairs)

    @property
    def word(self) -> str:
        return "DISTINGUISHABLE" if self.distinguishable else "indistinguishable"

    def line(self, unit: str, scale: float) -> str:
        worst = max(self.pairs, key=lambda p: abs(p.delta) / max(p.floor, 1e-15))
        flagged = sum(p.differs for p in self.pairs)
        return (
            f"{self.word}: {flagged} of {len(self.pairs)} pairs differ; largest |Δ|/floor: "
            f"{worst.first}-{worst.second} {abs(worst.delta) * scale:.2f} {unit} "
            f"against {worst.floor * scale:.2f} {unit}"
        )

    def print_pairs(self, unit: str, scale: float) -> None:
        print(f"    pairs: Δ median / floor in {unit} (z = {self.z:.2f}), * = differs")
        cells = [
            f"{p.first}-{p.second} {p.delta * scale:+.2f}/{p.floor * scale:.2f}"
            + ("*" if p.differs else "")
            for p in self.pairs
        ]
        for start in range(0, len(cells), 4):
            row = cells[start : start + 4]
            print("      " + "   ".join(f"{cell:<22}" for cell in row).rstrip())


@dataclass
class Measured:
    """Samples per class (ns per call, or seconds per request) and their medians' errors."""

    samples: dict[str, list[float]]
    splits: int
    se: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        self.se = {key: _median_se(values, self.splits) for key, values in self.samples.items()}

    def median(self, key: str) -> float:
        return statistics.median(self.samples[key])

    def verdict(self, pairs: Sequence[tuple[str, str]]) -> Verdict:
        z = NormalDist().inv_cdf(1 - FAMILY_ALPHA / (2 * len(pairs)))
        return Verdict(
            [
                Pair(x, y, self.median(x) - self.median(y), z * math.hypot(self.se[x], self.se[y]))
                for x, y in pairs
            ],
            z,
        )


def _closeness_pairs() -> list[tuple[str, str]]:
    return list(itertools.combinations(CLOSENESS, 2))


def _shape_pairs(shapes: Sequence[str]) -> list[tuple[str, str]]:
    """e and e' against each of a-d, and against each other."""
    return [
        (x, y)
        for x, y in itertools.combinations([*CLOSENESS, *shapes], 2)
        if x in shapes or y in shapes
    ]


# --- level 1: the functions in process -------------------------------------------------------


def _leaky_equals(candidate: str | None, settings: Settings) -> bool:
    """is_service_token with `==` instead of compare_digest (a control: it leaks)."""
    expected = settings.secret_token.get_secret_value()
    if not candidate or not expected:
        return False
    return candidate.encode() == expected.encode()


def _leaky_loop(candidate: str | None, settings: Settings) -> bool:
    """is_service_token with a byte loop that stops at the first difference (a control)."""
    expected = settings.secret_token.get_secret_value()
    if not candidate or not expected:
        return False
    given, wanted = candidate.encode(), expected.encode()
    if len(given) != len(wanted):
        return False
    for mine, theirs in zip(given, wanted, strict=True):  # noqa: SIM110 - the leak, on purpose
        if mine != theirs:
            return False
    return True


def _time_calls(
    check: Check, settings: Settings, candidates: dict[str, str | None], calls: int
) -> dict[str, list[float]]:
    """ns per call, one sample per batch; the batches of every class shuffled together."""
    batches = max(1, calls // BATCH_CALLS)
    order = [key for key in candidates for _ in range(batches)]
    RNG.shuffle(order)
    samples: dict[str, list[float]] = {key: [] for key in candidates}
    loop = range(BATCH_CALLS)
    gc.disable()
    try:
        for key in order:
            template = candidates[key]
            # A new object each batch: no class keeps one lucky (or unlucky) memory address.
            candidate = None if template is None else "".join(list(template))
            started = time.perf_counter_ns()
            for _ in loop:
                check(candidate, settings)
            samples[key].append((time.perf_counter_ns() - started) / BATCH_CALLS)
    finally:
        gc.enable()
    return samples


@dataclass
class FunctionResult:
    name: str
    call: str
    token_length: int
    candidates: dict[str, str | None]
    measured: Measured
    outside: dict[str, str]  # class -> why it is in no verdict
    shapes: list[str]  # e / e', when they reach the comparison
    control: bool = False

    @property
    def closeness(self) -> Verdict:
        return self.measured.verdict(_closeness_pairs())

    @property
    def shape(self) -> Verdict | None:
        return self.measured.verdict(_shape_pairs(self.shapes)) if self.shapes else None


def _measure_function(
    name: str,
    call: str,
    check: Check,
    token: str,
    keys: Sequence[str],
    *,
    settings: Settings,
    calls: int,
    splits: int,
    outside: dict[str, str] | None = None,
    control: bool = False,
) -> FunctionResult:
    candidates = {key: MAKERS[key](token) for key in keys}
    samples = _time_calls(check, settings, candidates, calls)
    shapes = [key for key in keys if key in ("e", "e'") and key not in (outside or {})]
    return FunctionResult(
        name, call, len(token), candidates, Measured(samples, splits), outside or {}, shapes,
        control,
    )  # fmt: skip


def _print_function(result: FunctionResult) -> None:
    print(f"\n{result.name}: {result.call}  (token length {result.token_length})")
    print(f"    {'class':<35} {'len':>4} {'median ns':>10} {'IQR ns':>7}")
    for key, values in result.measured.samples.items():
        ordered = sorted(values)
        iqr = _quantile(ordered, 0.75) - _quantile(ordered, 0.25)
        note = f"  (in no verdict: {result.outside[key]})" if key in result.outside else ""
        label = f"{key:<3}{LABELS[key]}"
        print(
            f"    {label:<35} {_length(result.candidates[key]):>4} "
            f"{statistics.median(ordered):>10.1f} {iqr:>7.1f}{note}"
        )
    closeness = result.closeness
    closeness.print_pairs("ns", 1.0)
    if result.control:
        missed = "" if closeness.distinguishable else "  <- MISSED: the criterion is blind here"
        print(f"    CONTROL, must be DISTINGUISHABLE: {closeness.line('ns', 1.0)}{missed}")
    else:
        print(f"    verdict a-d: {closeness.line('ns', 1.0)}")
    if (shape := result.shape) is not None:
        print(f"    e/e' vs the rest (z = {shape.z:.2f}): {shape.line('ns', 1.0)}")


def _function_level(
    settings: Settings, calls: int, splits: int, notes: list[str]
) -> list[FunctionResult]:
    measure = partial(_measure_function, settings=settings, calls=calls, splits=splits)
    service = settings.secret_token.get_secret_value()
    results = [
        measure(
            "service token", "is_service_token(candidate, settings)", is_service_token,
            service, [*CLOSENESS, "e", "f"],
            outside={"e": "returns before compare_digest", "f": "reference"},
        )
    ]  # fmt: skip
    for event in WebhookEvent:
        token = getattr(settings, _TOKEN_SETTING[event]).get_secret_value()
        if not token:
            notes.append(f"webhook {event.value}: no token configured, not measured")
            continue
        results.append(
            measure(
                f"webhook {event.value}",
                f"signature_matches({event.value}, candidate, settings)",
                partial(signature_matches, event), token, [*CLOSENESS, "e", "e'", "f"],
                outside={"f": "reference"},
            )
        )  # fmt: skip
    results.append(
        measure("control ==", "is_service_token with == on the bytes", _leaky_equals, service,
                CLOSENESS, control=True)
    )  # fmt: skip
    results.append(
        measure("control loop", "is_service_token with a byte loop, early exit", _leaky_loop,
                service, CLOSENESS, control=True)
    )  # fmt: skip
    return results


# --- level 2: HTTP ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpPlan:
    name: str
    method: str
    path: str
    header: str
    base_headers: dict[str, str]
    body: bytes | None
    token: str
    right_status: int  # the reference's answer; every wrong token must get a 401
    keys: list[str]
    shapes: list[str]  # e / e' in a verdict (they reach the comparison)
    why: str  # what a wrong token's request does, and why this route


@dataclass
class HttpResult:
    plan: HttpPlan
    measured: Measured  # seconds
    connections: int

    @property
    def closeness(self) -> Verdict:
        return self.measured.verdict(_closeness_pairs())

    @property
    def shape(self) -> Verdict | None:
        shapes = self.plan.shapes
        return self.measured.verdict(_shape_pairs(shapes)) if shapes else None

    @property
    def reference(self) -> Verdict:
        return self.measured.verdict([("f", "a")])


def _start_server(port: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "uvicorn", "clockify_tracker.main:create_app", "--factory",
        "--port", str(port), "--no-access-log", "--log-level", "warning",
        "--timeout-keep-alive", "60",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=log)
    if answers_within(process, f"http://127.0.0.1:{port}/healthz"):
        return process
    process.kill()
    log.seek(0)
    raise RuntimeError(f"uvicorn on {port} did not start: {log.read()[-2000:]!r}")


def _send(
    client: httpx.Client, plan: HttpPlan, order: list[str]
) -> tuple[dict[str, list[float]], int]:
    """Seconds per request, per class, in the order given; and how many connections served."""
    prepared: dict[str, tuple[dict[str, str], int]] = {}
    for key in plan.keys:
        headers = dict(plan.base_headers)
        candidate = MAKERS[key](plan.token)
        if candidate is not None:
            headers[plan.header] = candidate
        prepared[key] = (headers, plan.right_status if key == "f" else 401)
    samples: dict[str, list[float]] = {key: [] for key in plan.keys}
    local_ports: set[int] = set()
    gc.disable()
    try:
        for key in order:
            headers, status = prepared[key]
            request = client.build_request(
                plan.method, plan.path, headers=headers, content=plan.body
            )
            started = time.perf_counter()
            response = client.send(request)
            elapsed = time.perf_counter() - started
            if response.status_code != status:
                raise RuntimeError(f"{plan.path}, {key}: {response.status_code}, not {status}")
            local_ports.add(response.extensions["network_stream"].get_extra_info("client_addr")[1])
            samples[key].append(elapsed)
    finally:
        gc.enable()
    return samples, len(local_ports)


def _measure_http(port: int, plan: HttpPlan, requests: int) -> tuple[dict[str, list[float]], int]:
    transport = httpx.HTTPTransport(
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=60),
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
    )
    base_url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base_url, transport=transport, timeout=10) as client:
        _send(client, plan, [RNG.choice(plan.keys) for _ in range(WARM_UP_REQUESTS)])
        order = [key for key in plan.keys for _ in range(requests)]
        RNG.shuffle(order)
        return _send(client, plan, order)


def _http_level(settings: Settings, requests: int, splits: int) -> list[HttpResult]:
    webhook = getattr(settings, _TOKEN_SETTING[WEBHOOK_EVENT]).get_secret_value()
    plans = [
        HttpPlan(
            "service token", "GET", SERVICE_PATH, "Authorization", {}, None,
            settings.secret_token.get_secret_value(), 200, [*CLOSENESS, "e", "f"], [],
            "its first dependency is the principal, which answers a raw wrong Authorization "
            "with 401 before the database session is opened; the right token lists users (200)",
        ),
        # text/plain: the right token stops at the next check (415) instead of storing a
        # delivery; every request is the same but for the signature.
        HttpPlan(
            f"webhook {WEBHOOK_EVENT.value}", "POST", f"/api-clockify/webhook/{WEBHOOK_EVENT}",
            "Clockify-Signature", {"Content-Type": "text/plain"}, CAPTURE.read_bytes(), webhook,
            415, [*CLOSENESS, "e", "e'", "f"], ["e", "e'"],
            "the hot path; a 401 costs one Redis SET (the error_log throttle: one row a minute, "
            "written during the warm-up); text/plain makes the right token stop at 415",
        ),
    ]  # fmt: skip
    port = free_port()
    measured = []
    with tempfile.NamedTemporaryFile(prefix="token_timing_uvicorn_", suffix=".log") as log:
        server = _start_server(port, log)
        try:
            measured = [(plan, *_measure_http(port, plan, requests)) for plan in plans]
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
    return [
        HttpResult(plan, Measured(samples, splits), connections)
        for plan, samples, connections in measured
    ]


def _print_http(result: HttpResult) -> None:
    plan = result.plan
    print(
        f"\n{plan.name}: {plan.method} {plan.path}, {plan.header}  (token length {len(plan.token)})"
    )
    samples = result.measured.samples
    print(
        f"    {len(samples['a'])} requests per class over {result.connections} keep-alive "
        "connection(s). Why this route:"
    )
    print(textwrap.fill(plan.why, 96, initial_indent=" " * 6, subsequent_indent=" " * 6))
    print(f"    {'class':<35} {'len':>4} {'status':>6} {'median µs':>10} {'p90 µs':>8}")
    for key in plan.keys:
        ordered = sorted(samples[key])
        in_verdict = key in CLOSENESS or key in plan.shapes
        status = plan.right_status if key == "f" else 401
        label = f"{key:<3}{LABELS[key]}"
        print(
            f"    {label:<35} {_length(MAKERS[key](plan.token)):>4} {status:>6} "
            f"{statistics.median(ordered) * 1e6:>10.1f} {_quantile(ordered, 0.9) * 1e6:>8.1f}"
            + ("" if in_verdict else "  (in no verdict)")
        )
    closeness = result.closeness
    closeness.print_pairs("µs", 1e6)
    print(f"    verdict a-d: {closeness.line('µs', 1e6)}")
    if (shape := result.shape) is not None:
        print(f"    e/e' vs the rest (z = {shape.z:.2f}): {shape.line('µs', 1e6)}")
    [reference] = result.reference.pairs
    print(
        f"    CONTROL, f vs a must differ: Δ {reference.delta * 1e6:+.1f} µs against a floor of "
        f"{reference.floor * 1e6:.1f} µs: {result.reference.word}"
    )


# --- main ------------------------------------------------------------------------------------


async def _clean_up(settings: Settings) -> None:
    dsn = settings.database_url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("TRUNCATE error_log RESTART IDENTITY")  # the 415s' rows
    finally:
        await connection.close()


def main(calls: int, requests: int, splits: int) -> None:
    settings = Settings()
    started = time.monotonic()
    try:
        notes: list[str] = []
        functions = _function_level(settings, calls, splits, notes)
        function_seconds = time.monotonic() - started
        https = _http_level(settings, requests, splits)
    finally:
        asyncio.run(_clean_up(settings))
        SERVICES.stop_embedded()

    batches = max(1, calls // BATCH_CALLS)
    print(f"\n== in process: {batches * BATCH_CALLS:,} calls per class in {batches} batches,")
    print("   all classes' batches shuffled; median and IQR of ns per call across batches.")
    print(f"   floor = z * standard error of Δ, each median's error from {splits} random")
    print("   half-splits of its own samples; z for a 1 % false alarm per verdict (Bonferroni)")
    for note in notes:
        print(f"   ({note})")
    for result in functions:
        _print_function(result)
    print(f"\n== HTTP: uvicorn (1 worker) on loopback, {requests:,} requests per class after")
    print(f"   {WARM_UP_REQUESTS} warm-up, shuffled, sequential; every wrong token is refused")
    print("   (401) before any database work; the same floor and z as above")
    for measured in https:
        _print_http(measured)

    print(f"\n{time.monotonic() - started:.0f} s in all, {function_seconds:.0f} s of it in process")
    print(f"{'summary':<32} {'a-d: how close a guess is':<27} e/e' vs a-d (not about the secret)")
    rows: list[tuple[str, Verdict, Verdict | None]] = [
        (f"in process {r.name}", r.closeness, r.shape) for r in functions if not r.control
    ]
    rows += [(f"HTTP {r.plan.name}", r.closeness, r.shape) for r in https]
    for label, closeness, shape in rows:
        print(f"{label:<32} {closeness.word:<27} {shape.word if shape else '-'}")
    for r in functions:
        if r.control:
            print(f"{r.name:<32} {r.closeness.word:<27} (a leak on purpose: must be flagged)")
    for h in https:
        print(
            f"{'control f vs a, ' + h.plan.name:<32} {h.reference.word:<27} "
            "(another path: must be flagged)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=500_000, help="per class, in process")
    parser.add_argument("--requests", type=int, default=3_000, help="per class, over HTTP")
    parser.add_argument("--splits", type=int, default=200, help="random half-splits per class")
    arguments = parser.parse_args()
    main(arguments.calls, arguments.requests, arguments.splits)
