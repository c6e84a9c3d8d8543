from __future__ import annotations

import json
import logging

import pytest

from clockify_tracker.kit.logging import configure_logging, request_id_var


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
