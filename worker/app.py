"""The Celery app as the worker, beat and Flower processes see it."""

from __future__ import annotations

from clockify_tracker.config import settings
from clockify_tracker.kit.celery_app import celery_app as app
from worker import signals
from worker.beat import beat_schedule

# Every module that defines tasks; the worker imports them at start-up.
TASK_MODULES = [
    "clockify_tracker.kit.outbox.tasks",
    "clockify_tracker.clockify.tasks",
    "clockify_tracker.email.tasks",
    "clockify_tracker.report.tasks",
    "clockify_tracker.automation.tasks",
]

app.conf.imports = TASK_MODULES
app.conf.beat_schedule = beat_schedule(settings)
signals.connect()

__all__ = ["app"]
