"""Structured logging: one JSON object per line, with the request id or Celery task id attached.

Every record passes through `SecretMaskingFilter`, so a configured secret that ends up in a
message or an exception text (a DSN in a driver error, a token echoed by a library) is masked.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
task_id_var: ContextVar[str | None] = ContextVar("task_id", default=None)

_MASK = "***"
_secrets_to_mask: list[str] = []


def redact(text: str) -> str:
    """Mask every configured secret in a text bound for a log, an error row or a response."""
    for secret in _secrets_to_mask:
        if secret in text:
            text = text.replace(secret, _MASK)
    return text


_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.task_id = task_id_var.get()
        return True


class SecretMaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not _secrets_to_mask:
            return True
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("request_id", "task_id"):
            value = getattr(record, key, None)
            if value:
                payload[key] = value
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key not in payload and not key.startswith("_"):
                payload[key] = value if isinstance(value, str | int | float | bool) else repr(value)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            payload["exc"] = record.exc_text
        return json.dumps(payload, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        context = getattr(record, "request_id", None) or getattr(record, "task_id", None)
        prefix = f"[{context}] " if context else ""
        line = f"{record.levelname:<7} {record.name}: {prefix}{record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        elif record.exc_text:
            line += "\n" + record.exc_text
        return line


class CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at emit time (test capture, redirection)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def register_secrets(secrets: Iterable[str]) -> None:
    # Longest first so a secret containing another is masked whole.
    _secrets_to_mask[:] = sorted({s for s in secrets if s}, key=len, reverse=True)


def configure_logging(*, level: str, json_output: bool, secrets: Iterable[str]) -> None:
    """Install one stderr handler on the root logger; idempotent."""
    register_secrets(secrets)
    handler = CurrentStderrHandler()
    handler.setFormatter(JsonFormatter() if json_output else TextFormatter())
    handler.addFilter(ContextFilter())
    handler.addFilter(SecretMaskingFilter())
    handler.set_name("clockify_tracker")
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == "clockify_tracker":
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Uvicorn and Celery install their own handlers; route them through ours instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery", "celery.task"):
        lib_logger = logging.getLogger(name)
        if name == "uvicorn.access" and not lib_logger.handlers and not lib_logger.propagate:
            # Uvicorn told not to log requests (`--no-access-log`, `access_log=False`) leaves
            # this logger so; propagating would log every request through ours after all.
            continue
        lib_logger.handlers.clear()
        lib_logger.propagate = True
