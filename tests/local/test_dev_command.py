"""`clockify-tracker dev` (what `make dev` runs) brings the whole service up and down."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url

from clockify_tracker.local.embedded import ensure_database, free_port, port_open
from tests.conftest import SERVICES

pytestmark = pytest.mark.slow

START_TIMEOUT_SECONDS = 120.0
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "MAIL_PORT", "DB_HOST")


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> httpx.Response:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"dev exited early:\n{log.read_text()}"
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} never answered 200:\n{log.read_text()}")


def _run_dev(
    tmp_path: Path, extra_env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], Path, int, int]:
    api_port, flower_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(ENVIRONMENT="development", **extra_env)
    log = tmp_path / "dev.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "clockify_tracker.cli", "dev",
             "--api-port", str(api_port), "--flower-port", str(flower_port),
             "--var-dir", str(tmp_path / "var")],
            cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return process, log, api_port, flower_port


def _log_in_as_the_printed_admin(api_port: int, tmp_path: Path) -> None:
    """What a person does after `make dev`: log in with the printed credentials, see /me."""
    password = (tmp_path / "var" / "dev-credentials.txt").read_text().strip()
    with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=10) as browser:
        response = browser.post(
            "/api/auth/login", json={"email": "admin@clockify-tracker.dev", "password": password}
        )
        assert response.status_code == 200, response.text
        me = browser.get("/api/auth/me").json()["data"]
        assert me["organizacionActiva"]["nombre"] == "Desarrollo"
        assert browser.post("/api/auth/logout").status_code == 200
        assert browser.get("/api/auth/me").status_code == 401


def _stop_with_ctrl_c(process: subprocess.Popen[bytes], log: Path) -> None:
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 0, log.read_text()


def test_dev_runs_everything_on_embedded_services_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    process, log, api_port, flower_port = _run_dev(tmp_path, {})
    try:
        ready = _wait_ready(f"http://127.0.0.1:{api_port}/readyz", process, log)
        assert ready.json()["checks"] == {"postgres": "ok", "redis": "ok"}
        assert httpx.get(f"http://127.0.0.1:{api_port}/docs", timeout=5).status_code == 200
        _wait_ready(f"http://127.0.0.1:{flower_port}/", process, log)
        _log_in_as_the_printed_admin(api_port, tmp_path)
        output = log.read_text()
        assert "PostgreSQL: embedded" in output
        assert "Redis: embedded" in output
        assert "SMTP: sink" in output
        assert "log in as admin@clockify-tracker.dev" in output
    finally:
        _stop_with_ctrl_c(process, log)

    assert not port_open("127.0.0.1", api_port)
    assert not port_open("127.0.0.1", flower_port)
    assert (tmp_path / "var" / "postgres" / "PG_VERSION").exists(), "data lives under var/"


def _separate_services() -> dict[str, str]:
    """The suite's servers, but another database and Redis index, so this dev worker never
    consumes the suite's queue or runs the suite's outbox rows."""
    database = make_url(SERVICES.database_url).set(database="clockify_tracker_dev_test")
    ensure_database(SERVICES.database_url, "clockify_tracker_dev_test")
    redis_base, _, _ = SERVICES.redis_url.rpartition("/")
    return {
        "DATABASE_URL": database.render_as_string(hide_password=False),
        "REDIS_URL": f"{redis_base}/14",
    }


def test_dev_uses_configured_services_when_set(tmp_path: Path) -> None:
    process, log, api_port, _ = _run_dev(tmp_path, _separate_services())
    try:
        _wait_ready(f"http://127.0.0.1:{api_port}/readyz", process, log)
        output = log.read_text()
        assert "PostgreSQL: using DATABASE_URL" in output
        assert "Redis: using REDIS_URL" in output
    finally:
        _stop_with_ctrl_c(process, log)
