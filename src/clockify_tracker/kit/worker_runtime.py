"""Per-process state of a Celery worker: one event loop, one engine, one outbox dispatcher.

Celery tasks are synchronous shells; they run their async body on this process's loop. The
engine is created lazily in the process that uses it, so a prefork child never inherits the
parent's connections (and never uses an engine bound to another loop)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any, TypeVar

from redis.asyncio import Redis

from clockify_tracker.config import Settings, settings
from clockify_tracker.kit.celery_app import celery_app
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.outbox import CeleryPublisher, OutboxDispatcher

T = TypeVar("T")


class WorkerRuntime:
    def __init__(self, app_settings: Settings) -> None:
        self.settings = app_settings
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.database = Database(app_settings.database_url, pool_size=2)
        self.dispatcher = OutboxDispatcher(self.database, CeleryPublisher(celery_app))
        # Live state (an automation run's progress), on this process's loop.
        self.redis = Redis.from_url(
            app_settings.redis_url.get_secret_value(), decode_responses=True,
            socket_connect_timeout=2, socket_timeout=5,
        )  # fmt: skip

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.run(self.dispatcher.aclose())
        self.run(self.redis.aclose())
        self.run(self.database.dispose())
        self.loop.close()


_runtime: WorkerRuntime | None = None
_runtime_pid: int | None = None


def get_runtime() -> WorkerRuntime:
    global _runtime, _runtime_pid
    if _runtime is None or _runtime_pid != os.getpid():
        _runtime = WorkerRuntime(settings)
        _runtime_pid = os.getpid()
    return _runtime


def forget_inherited_runtime() -> None:
    """Called in a freshly forked child: drop (without closing) what the parent held."""
    global _runtime, _runtime_pid
    _runtime, _runtime_pid = None, None


def shutdown_runtime() -> None:
    global _runtime, _runtime_pid
    if _runtime is not None and _runtime_pid == os.getpid():
        _runtime.close()
    _runtime, _runtime_pid = None, None
