"""Property-based run over the whole OpenAPI schema, as each kind of client authenticates.

Schemathesis generates requests (valid and invalid) for every documented operation, sends them to
a real uvicorn server on the test database, and checks the answers:

| target | operations | credentials |
|---|---|---|
| coordinators | /api-clockify/ except the webhooks | the service token; a coordinator's cookie |
| automations | /api/automatizaciones | an administrator's cookie; the same account's Bearer JWT |
| accounts | /api/auth/, /healthz, /readyz | a cookie on secured operations, none elsewhere |
| webhooks | Clockify's paths | each event's signature token |
| refusals | every secured operation | none; forged ones (wrong tokens, `alg: none` JWT) |

* no 5xx, whatever the request;
* a 2xx answer matches its documented schema and content type; a JSON array also carries
  `X-Total-Count` (a whole number, at least the page's length);
* any other answer is the route's error envelope: `{"error", "code"}`, or `{success: false,
  data: null, message}` on the platform routes (auth, automations). Undocumented 4xx statuses
  are accepted: only their shape is checked;
* without credentials, or with forged ones, every secured operation answers 401 or 403: auth
  is never bypassed, whatever else the request holds.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
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

from clockify_tracker.exception_handlers import ENVELOPE_PREFIXES
from clockify_tracker.kit.db import Database
from clockify_tracker.local.embedded import free_port
from clockify_tracker.models import ClockifySession, ClockifyUser, ClockifyWorkspace, Role
from tests.support.clockify import deliver, entry, token
from tests.support.factories import PASSWORD, create_account, create_organization, login
from tests.support.services import REPO_ROOT

SERVICE_TOKEN = "test-secret-token-value"
WORKSPACE = "6650cc00cc00cc00cc00cc01"
COORDINATOR = "coord@example.com"
ADMINISTRATOR = "admin@example.com"
# Operations left out, by label ("GET /api-clockify/..."), each with a `# BUG: <what>` comment.
EXCLUDED: set[str] = set()
# Auth headers and cookies the schema's security schemes let the generator fill in: the run
# sends its own, so a generated value never replaces the scheme under test.
AUTH_HEADERS = {"authorization", "x-webhook-token", "clockify-signature"}
AUTH_COOKIES = {"access_token", "refresh_token"}
EXAMPLES_PER_MODE = int(os.environ.get("FUZZ_EXAMPLES", "12"))
# The credential-less passes only need to show every operation refuses: fewer examples.
REFUSAL_EXAMPLES_PER_MODE = max(1, EXAMPLES_PER_MODE // 3)
UVICORN_ARGS = [
    "clockify_tracker.main:create_app",
    "--factory",
    "--host",
    "127.0.0.1",
    "--no-access-log",
]
REQUEST_TIMEOUT = 10
# FastAPI's answers to a body it cannot parse (bad JSON; bytes that are not UTF-8).
UNPARSABLE_BODY = ("JSON decode error", "There was an error parsing the body")
WEBHOOK_EVENTS = {"start", "end", "edit", "delete", "manual"}
# The path routed by header: its event is whatever the header says; the run sends this one.
ROUTED_WEBHOOK = "/api-clockify/webhook"
ROUTED_EVENT = ("TIMER_STOPPED", "end")


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
    """An organization with a coordinator, an administrator, a Clockify user, sessions with
    binnacle entries and an automation, so small generated ids sometimes name rows that exist
    (ids restart at 1 each test)."""
    acme = await create_organization(db, "Acme")
    async with db.unit_of_work() as session:
        session.add(ClockifyWorkspace(id=WORKSPACE, organization_id=acme.id, name="Acme"))
    await create_account(db, COORDINATOR, organization=acme, role=Role.COORDINADOR)
    await create_account(db, ADMINISTRATOR, organization=acme, role=Role.ADMINISTRADOR)
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
    assert (await login(client, ADMINISTRATOR)).status_code == 200
    created = await client.post(
        "/api/automatizaciones",
        json={
            "nombre": "prod_sincronizacion_diaria",
            "script_path": "ok.py",
            "cron_expresion": "0 9 * * 1-5",
            "activo": True,
            "variables_personalizadas": {"rfc": "ABC123456789"},
        },
    )
    assert created.status_code == 200, created.text


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


def _login(server: Server, email: str) -> str:
    """An account's access JWT, from a real login."""
    response = requests.post(
        f"{server.url}/api/auth/login",
        json={"email": email, "password": PASSWORD},
        timeout=REQUEST_TIMEOUT,
    )
    assert response.status_code == 200, response.text
    # Set as Secure outside development: requests would not send it back over http itself.
    return str(response.cookies["access_token"])


def _forged_jwt(genuine: str) -> str:
    """The genuine token's claims under `alg: none` and no signature."""

    def encode(part: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    payload = genuine.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] = int(time.time()) + 3600
    return f"{encode({'alg': 'none', 'typ': 'JWT'})}.{encode(claims)}."


Credentials = Callable[[Any], Auth]  # operation -> what to send with it

NO_AUTH = Auth(headers={}, cookies={})


def _secured(operation: Any) -> bool:
    return bool(operation.definition.raw.get("security"))


def _credentials(server: Server, scheme: str) -> Credentials:
    """What each kind of client sends; credentials only on operations that are secured."""
    if scheme == "service_token":
        auth = Auth(headers={"Authorization": SERVICE_TOKEN}, cookies={})
    elif scheme == "coordinator_cookie":
        auth = Auth(headers={}, cookies={"access_token": _login(server, COORDINATOR)})
    elif scheme == "administrator_cookie":
        auth = Auth(headers={}, cookies={"access_token": _login(server, ADMINISTRATOR)})
    elif scheme == "bearer_jwt":
        auth = Auth(
            headers={"Authorization": f"Bearer {_login(server, ADMINISTRATOR)}"}, cookies={}
        )
    elif scheme == "clockify_signature":
        return _webhook_signature
    elif scheme == "forged":
        forged = _forged_jwt(_login(server, ADMINISTRATOR))
        auth = Auth(
            headers={
                "Authorization": "not-the-service-token",
                "X-Webhook-Token": "not-the-service-token",
                "Clockify-Signature": "not-the-signature",
            },
            cookies={"access_token": forged},
        )
    else:
        assert scheme == "none", scheme
        auth = NO_AUTH
    return lambda operation: auth if _secured(operation) else NO_AUTH


def _webhook_signature(operation: Any) -> Auth:
    if operation.path == ROUTED_WEBHOOK:
        header, event = ROUTED_EVENT
        return Auth(
            headers={"Clockify-Signature": token(event), "Clockify-Webhook-Event-Type": header},
            cookies={},
        )
    event = operation.path.rsplit("/", 1)[-1]
    assert event in WEBHOOK_EVENTS, operation.path
    return Auth(headers={"Clockify-Signature": token(event)}, cookies={})


def _strip_generated_auth(case: Any, sent: Auth) -> None:
    taken = AUTH_HEADERS | {name.lower() for name in sent.headers}
    if case.headers:
        case.headers = {k: v for k, v in case.headers.items() if k.lower() not in taken}
    if case.cookies:
        case.cookies = {k: v for k, v in case.cookies.items() if k.lower() not in AUTH_COOKIES}


def _header(response: Any, name: str) -> str | None:
    values = response.headers.get(name.lower())  # schemathesis: lowercase keys, list values
    return values[0] if values else None


def _check_extras(path: str, response: Any) -> None:
    """What the schema does not say but the service promises: list totals, error envelopes."""
    is_json = (_header(response, "Content-Type") or "").startswith("application/json")
    body = response.json() if response.content and is_json else None
    platform = path.startswith(ENVELOPE_PREFIXES)
    if 200 <= response.status_code < 300:
        if platform:
            assert isinstance(body, dict), f"not an envelope: {response.text[:300]}"
            assert body.get("success") is True, f"2xx without success: {body}"
            assert "data" in body, f"envelope without data: {body}"
            message = body.get("message")
            assert message is None or isinstance(message, str), f"message not text: {body}"
        if isinstance(body, list):
            total = _header(response, "X-Total-Count")
            assert total is not None, "a list answer without X-Total-Count"
            assert total.isdigit(), f"X-Total-Count is not a whole number: {total!r}"
            assert int(total) >= len(body), f"X-Total-Count {total} < {len(body)} items"
        return
    assert isinstance(body, dict), f"error answer is not an object: {response.text[:300]}"
    if platform:
        assert body.get("success") is False, f"error envelope without success false: {body}"
        assert body.get("data") is None, f"error envelope with data: {body}"
        assert isinstance(body.get("message"), str), f"error envelope without message: {body}"
    else:
        assert isinstance(body.get("error"), str), f"error without 'error': {body}"
        assert isinstance(body.get("code"), str), f"error without 'code': {body}"


def _check_refused(path: str, response: Any) -> None:
    """Without valid credentials a secured operation refuses, whatever else the request holds.

    One answer comes before the credentials are looked at: a body that is not JSON at all (or
    not text) is refused as FastAPI reads it, before any dependency runs, so before the auth
    check. That reaches no handler, reads or writes nothing, and says only that the body could
    not be parsed."""
    _check_extras(path, response)
    if response.status_code in (400, 422) and any(
        reason in response.text for reason in UNPARSABLE_BODY
    ):
        return
    assert response.status_code in (401, 403), (
        f"a secured operation answered {response.status_code} without valid credentials"
    )


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    auth: Auth,
    statuses: Counter[tuple[str, int]],
    *,
    refusal: bool = False,
) -> None:
    http = requests.Session()
    curl_headers = {**auth.headers}
    if auth.cookies:
        curl_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in auth.cookies.items())

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=REFUSAL_EXAMPLES_PER_MODE if refusal else EXAMPLES_PER_MODE,
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
        _strip_generated_auth(case, auth)
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
            (_check_refused if refusal else _check_extras)(operation.path, response)
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


@dataclass(frozen=True)
class Target:
    include: str
    exclude: str | None
    operations: int  # how many the schema documents there: a new route must be seen here
    answered_2xx: int  # at least this many answered 2xx: the credentials worked


# The receivers; GET /api-clockify/webhook/test-email (service token) is a coordinators' route.
WEBHOOK_PATHS = r"^(/api-clockify/webhook(/(start|end|edit|delete|manual))?$|/webhook/clockify/)"
TARGETS = {
    "coordinators": Target(r"^/api-clockify/", WEBHOOK_PATHS, 32, 15),
    "automations": Target(r"^/api/automatizaciones", None, 13, 6),
    "accounts": Target(r"^/(api/auth/|healthz|readyz)", None, 13, 5),
    "webhooks": Target(WEBHOOK_PATHS, None, 11, 6),
}


def _operations(server: Server, include: str, exclude: str | None) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json", timeout=REQUEST_TIMEOUT)
    schema = schema.include(path_regex=include)
    if exclude:
        schema = schema.exclude(path_regex=exclude)
    operations = [result.ok() for result in schema.get_all_operations()]
    return [operation for operation in operations if operation.label not in EXCLUDED]


def _run(
    server: Server, operations: list[Any], credentials: Credentials, *, refusal: bool = False
) -> tuple[Counter[tuple[str, int]], list[str]]:
    failures: list[str] = []
    statuses: Counter[tuple[str, int]] = Counter()
    for operation in operations:
        auth = credentials(operation)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, server.url, auth, statuses, refusal=refusal)
            # Every operation runs and all failures are reported (schemathesis raises a
            # FailureGroup, a BaseExceptionGroup).
            except (Exception, FailureGroup) as exc:
                failures.append(f"--- {operation.label} ({mode.value} data):\n{exc}")
    return statuses, failures


def _report(server: Server, failures: list[str]) -> str:
    return (
        f"{len(failures)} failing operation(s):\n\n" + "\n\n".join(failures)
        + f"\n\n--- server log (tail):\n{server.log_tail()}"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("target", "scheme"),
    [
        ("coordinators", "service_token"),
        ("coordinators", "coordinator_cookie"),
        ("automations", "administrator_cookie"),
        ("automations", "bearer_jwt"),
        ("accounts", "administrator_cookie"),
        ("webhooks", "clockify_signature"),
    ],
)
def test_every_operation_keeps_to_its_schema(server: Server, target: str, scheme: str) -> None:
    spec = TARGETS[target]
    operations = _operations(server, spec.include, spec.exclude)
    assert len(operations) == spec.operations, [operation.label for operation in operations]
    statuses, failures = _run(server, operations, _credentials(server, scheme))
    print(f"{target}, {scheme}: answers by operation and status:", dict(sorted(statuses.items())))
    # The scheme under test works: without it every answer would be a 401 and nothing checked.
    answered = {label for label, status in statuses if 200 <= status < 300}
    assert len(answered) >= spec.answered_2xx, f"few operations ever answered 2xx: {answered}"
    assert not failures, _report(server, failures)


@pytest.mark.parametrize("scheme", ["none", "forged"])
def test_no_secured_operation_answers_without_valid_credentials(
    server: Server, scheme: str
) -> None:
    operations = [
        operation for operation in _operations(server, r"^/", None) if _secured(operation)
    ]
    assert len(operations) >= 50, [operation.label for operation in operations]
    statuses, failures = _run(server, operations, _credentials(server, scheme), refusal=True)
    print(f"{scheme}: answers by operation and status:", dict(sorted(statuses.items())))
    assert not failures, _report(server, failures)
