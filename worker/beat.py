"""The periodic schedule Celery beat sends."""

from __future__ import annotations

from typing import Any

from clockify_tracker.clockify.tasks import SWEEP_TASK as WEBHOOK_SWEEP_TASK
from clockify_tracker.config import Settings
from clockify_tracker.email.tasks import SWEEP_TASK as EMAIL_SWEEP_TASK
from clockify_tracker.kit.outbox.tasks import SWEEP_TASK


def beat_schedule(app_settings: Settings) -> dict[str, dict[str, Any]]:
    interval = app_settings.email_process_interval
    # A sweep that waited longer than two intervals is superseded by the next one.
    options = {"expires": max(interval * 2, 10.0)}
    return {
        "outbox-sweeper": {"task": SWEEP_TASK, "schedule": interval, "options": options},
        "webhook-sweeper": {"task": WEBHOOK_SWEEP_TASK, "schedule": interval, "options": options},
        "email-sweeper": {"task": EMAIL_SWEEP_TASK, "schedule": interval, "options": options},
    }
