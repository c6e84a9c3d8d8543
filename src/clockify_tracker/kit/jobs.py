"""`job_task`: an async handler `(session, payload)` as a Celery task run through the outbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Task

from clockify_tracker.kit.celery_app import celery_app
from clockify_tracker.kit.outbox import run_job
from clockify_tracker.kit.outbox.runner import JobHandler
from clockify_tracker.kit.worker_runtime import get_runtime


def job_task(
    name: str, *, retry_delay_seconds: float | None = None
) -> Callable[[JobHandler], Task[Any, Any]]:
    """The task takes the outbox id; the handler runs in the transaction that marks it done."""

    def decorator(handler: JobHandler) -> Task[Any, Any]:
        @celery_app.task(name=name, ignore_result=True)
        def run_outbox_job(outbox_id: int) -> str:
            runtime = get_runtime()
            delay = (
                retry_delay_seconds
                if retry_delay_seconds is not None
                else runtime.settings.email_retry_delay
            )
            outcome = runtime.run(
                run_job(
                    runtime.database,
                    runtime.dispatcher,
                    outbox_id,
                    handler,
                    task_name=name,
                    retry_delay_seconds=delay,
                )
            )
            return outcome.value

        return run_outbox_job

    return decorator
