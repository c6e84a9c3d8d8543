from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from clockify_tracker.kit.logging import configure_logging, request_id_var
from clockify_tracker.local.embedded import free_port
from tests.support.services import REPO_ROOT


def test_log_lines_are_json_with_request_id_and_secrets_masked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = "sup3r-s3cret-token-value"
    configure_logging(level="INFO", json_output=True, secrets=[secret])
    token = request_id_var.set("req-42")
    try:
        logging.getLogger("test").warning("calling with token %s", secret)
        try:
            raise ValueError(f"bad token {secret}")
        except ValueError:
            logging.getLogger("test").exception("failed")
    finally:
        request_id_var.reset(token)

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    assert lines[0]["msg"] == "calling with token ***"
    assert lines[0]["request_id"] == "req-42"
    assert lines[0]["level"] == "WARNING"
    assert "bad token ***" in lines[1]["exc"]
    assert secret not in json.dumps(lines)


def test_uvicorn_told_not_to_log_requests_logs_none(tmp_path: Path) -> None:
    """`clockify-tracker api` runs uvicorn with access_log=False: no line per request."""
    port = free_port()
    log = tmp_path / "api.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "clockify_tracker.main:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
            cwd=REPO_ROOT, env={**os.environ, "LOG_LEVEL": "INFO"}, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        answered = 0
        while time.monotonic() < deadline and answered < 5:
            try:
                answered += httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
            except httpx.TransportError:
                time.sleep(0.1)
        assert answered == 5, log.read_text()
    finally:
        process.terminate()
        process.wait(10)
    text = log.read_text()
    assert "Application startup complete" in text, "the server's own INFO lines still show"
    assert "GET /healthz" not in text, text
