"""Property-based run over the OpenAPI schema of the coordinators' Clockify data routes.

Schemathesis generates requests (valid and invalid) for every documented operation under
/api-clockify/ except the webhooks, sends them to a real uvicorn server on the test database,
with the service token and with a logged-in coordinator's cookie, and asserts:

* no 5xx, whatever the request;
* a 2xx answer matches its documented schema and content type, and a JSON array also carries
  `X-Total-Count` (a whole number, at least the page's length);
* any other answer is an error envelope `{"error": str, "code": str, ...}`. Undocumented 4xx
  statuses are accepted: only their shape is checked.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)
from schemathesis.core.failures import FailureGroup
from sqlalchemy import select

from clockify_tracker.kit.db import Database
from clockify_tracker.local.embedded import free_port
from clockify_tracker.models import ClockifySession, ClockifyUser, ClockifyWorkspace, Role
from tests.support.clockify import deliver, entry
from tests.support.factories import PASSWORD, create_account, create_organization
from tests.support.services import REPO_ROOT

SERVICE_TOKEN = "test-secret-token-value"
WORKSPACE = "6650cc00cc00cc00cc00cc01"
COORDINATOR = "coord@example.com"
FUZZED = r"^/api-clockify/"
NOT_FUZZED = r"^/api-clockify/webhook"
# Operations left out, by label ("GET /api-clockify/..."), each with a `# BUG: <what>` comment.
EXCLUDED: set[str] = set()
# Auth headers and cookies the schema's security schemes let the generator fill in: the run
# sends its own, so a generated value never replaces the scheme under test.
AUTH_HEADERS = {"authorization", "x-webhook-token"}
AUTH_COOKIES = {"access_token", "refresh_token"}
EXAMPLES_PER_MODE = int(os.environ.get("FUZZ_EXAMPLES", "12"))
UVICORN_ARGS = [
    "clockify_tracker.main:create_app",
    "--factory",
    "--host",
    "127.0.0.1",
    "--no-access-log",
]
REQUEST_TIMEOUT = 10


@dataclass
class Server:
    url: str
    log: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass(frozen=True)
class Auth:
    headers: dict[str, str]
    cookies: dict[str, str]


@pytest.fixture
async def seeded(client: httpx.AsyncClient, db: Database) -> None:
    """An organization with a coordinator, a Clockify user and sessions with binnacle entries,
    so small generated ids sometimes name rows that exist (ids restart at 1 each test)."""
    acme = await create_organization(db, "Acme")
    async with db.unit_of_work() as session:
        session.add(ClockifyWorkspace(id=WORKSPACE, organization_id=acme.id, name="Acme"))
    await create_account(db, COORDINATOR, organization=acme, role=Role.COORDINADOR)
    review = "6650aa00aa00aa00aa00b001"
    await deliver(client, db, "end", entry(review, description="Planeación semanal"))
    await deliver(client, db, "edit", entry(review, end="2026-11-02T18:00:00Z", duration="PT3H"))
    for n, day in enumerate(("2026-11-03", "2026-11-05"), start=2):
        body = entry(
            f"6650aa00aa00aa00aa00b00{n}",
            start=f"{day}T15:00:00Z",
            end=f"{day}T16:00:00Z",
            duration="PT1H",
            description="Soporte",
        )
        await deliver(client, db, "end", body)
    async with db.unit_of_work() as session:
        user = await session.scalar(select(ClockifyUser))
        assert user is not None
        user.email = "ana@example.com"
        assert len((await session.scalars(select(ClockifySession))).all()) == 3


@pytest.fixture
def server(seeded: None, tmp_path: Path) -> Iterator[Server]:
    """The app under uvicorn in a child process, on the test database and Redis (the child
    inherits the environment conftest set up)."""
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", *UVICORN_ARGS, "--port", str(port)],
            cwd=REPO_ROOT,
            env=os.environ.copy(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = Server(f"http://127.0.0.1:{port}", log, process)
    try:
        _wait_until_up(running)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(server: Server, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.process.poll() is None, f"uvicorn exited:\n{server.log_tail()}"
        try:
            if requests.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    pytest.fail(f"uvicorn did not answer within {timeout}s:\n{server.log_tail()}")


def _auth(server: Server, scheme: str) -> Auth:
    if scheme == "service_token":
        return Auth(headers={"Authorization": SERVICE_TOKEN}, cookies={})
    response = requests.post(
        f"{server.url}/api/auth/login",
        json={"email": COORDINATOR, "password": PASSWORD},
        timeout=REQUEST_TIMEOUT,
    )
    assert response.status_code == 200, response.text
    # Set as Secure outside development: requests would not send it back over http itself.
    return Auth(headers={}, cookies={"access_token": response.cookies["access_token"]})


def _strip_generated_auth(case: Any) -> None:
    if case.headers:
        case.headers = {k: v for k, v in case.headers.items() if k.lower() not in AUTH_HEADERS}
    if case.cookies:
        case.cookies = {k: v for k, v in case.cookies.items() if k.lower() not in AUTH_COOKIES}


def _header(response: Any, name: str) -> str | None:
    values = response.headers.get(name.lower())  # schemathesis: lowercase keys, list values
    return values[0] if values else None


def _check_extras(response: Any) -> None:
    """What the schema does not say but the service promises: list totals, error envelope."""
    is_json = (_header(response, "Content-Type") or "").startswith("application/json")
    body = response.json() if response.content and is_json else None
    if 200 <= response.status_code < 300:
        if isinstance(body, list):
            total = _header(response, "X-Total-Count")
            assert total is not None, "a list answer without X-Total-Count"
            assert total.isdigit(), f"X-Total-Count is not a whole number: {total!r}"
            assert int(total) >= len(body), f"X-Total-Count {total} < {len(body)} items"
        return
    assert isinstance(body, dict), f"error answer is not an object: {response.text[:300]}"
    assert isinstance(body.get("error"), str), f"error without 'error': {body}"
    assert isinstance(body.get("code"), str), f"error without 'code': {body}"


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    auth: Auth,
    statuses: Counter[tuple[str, int]],
) -> None:
    http = requests.Session()
    curl_headers = {**auth.headers}
    if auth.cookies:
        curl_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in auth.cookies.items())

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_MODE,
        deadline=None,
        database=None,
        # The same examples every run, so CI is reproducible; raise FUZZ_EXAMPLES or drop this
        # locally to explore further.
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        # No shrinking: it keeps the run bounded when something fails; the failure still
        # prints a curl command that reproduces it.
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: Any) -> None:
        _strip_generated_auth(case)
        response = case.call(
            base_url=base_url,
            session=http,
            headers=auth.headers,
            cookies=auth.cookies,
            timeout=REQUEST_TIMEOUT,
        )
        statuses[operation.label, response.status_code] += 1
        checks = [not_a_server_error]
        if 200 <= response.status_code < 300:
            checks += [response_schema_conformance, content_type_conformance]
        case.validate_response(response, checks=checks, headers=auth.headers)
        try:
            _check_extras(response)
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}\nstatus {response.status_code}\n"
                f"Reproduce with:\n    {case.as_curl_command(headers=curl_headers)}"
            ) from None

    try:
        run()
    except Unsatisfiable:
        # Nothing in this operation can be made invalid (negative mode on free-text path
        # parameters, say): there is no such case to send.
        pass
    finally:
        http.close()


@pytest.mark.parametrize("scheme", ["service_token", "cookie"])
def test_coordinator_routes_keep_to_their_schema(server: Server, scheme: str) -> None:
    schema = (
        schemathesis.openapi.from_url(f"{server.url}/openapi.json", timeout=REQUEST_TIMEOUT)
        .include(path_regex=FUZZED)
        .exclude(path_regex=NOT_FUZZED)
    )
    auth = _auth(server, scheme)
    failures: list[str] = []
    fuzzed: list[str] = []
    statuses: Counter[tuple[str, int]] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in EXCLUDED:
            continue
        fuzzed.append(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, server.url, auth, statuses)
            # Every operation runs and all failures are reported (schemathesis raises a
            # FailureGroup, a BaseExceptionGroup).
            except (Exception, FailureGroup) as exc:
                failures.append(f"--- {operation.label} ({mode.value} data, {scheme}):\n{exc}")
    assert len(fuzzed) >= 17, fuzzed
    print(f"{scheme}: answers by operation and status:", dict(sorted(statuses.items())))
    # The scheme under test works: without it every answer would be a 401 and nothing checked.
    answered = {label for label, status in statuses if 200 <= status < 300}
    assert len(answered) >= len(fuzzed) // 2, f"few operations ever answered 2xx: {answered}"
    assert not failures, (
        f"{len(failures)} failing operation(s):\n\n" + "\n\n".join(failures)
        + f"\n\n--- server log (tail):\n{server.log_tail()}"
    )  # fmt: skip
