"""Worker process hooks: logging, the per-process runtime after fork, task ids in logs."""

from __future__ import annotations

from typing import Any

from celery import signals

from clockify_tracker.config import settings
from clockify_tracker.kit.logging import configure_logging, task_id_var
from clockify_tracker.kit.worker_runtime import forget_inherited_runtime, shutdown_runtime


def _setup_logging(**_: Any) -> None:
    configure_logging(
        level=settings.log_level, json_output=settings.log_json, secrets=settings.secret_values()
    )


def _after_fork(**_: Any) -> None:
    forget_inherited_runtime()


def _before_exit(**_: Any) -> None:
    shutdown_runtime()


def _task_started(task_id: str | None = None, **_: Any) -> None:
    task_id_var.set(task_id)


def _task_finished(**_: Any) -> None:
    task_id_var.set(None)


def connect() -> None:
    signals.setup_logging.connect(_setup_logging, weak=False)
    signals.worker_process_init.connect(_after_fork, weak=False)
    signals.worker_process_shutdown.connect(_before_exit, weak=False)
    signals.task_prerun.connect(_task_started, weak=False)
    signals.task_postrun.connect(_task_finished, weak=False)
