"""The periodic schedule Celery beat sends."""

from __future__ import annotations

from typing import Any

from clockify_tracker.automation.service import DISPATCH_TASK as AUTOMATION_DISPATCH_TASK
from clockify_tracker.automation.tasks import SWEEP_TASK as AUTOMATION_SWEEP_TASK
from clockify_tracker.clockify.monitor import MONITOR_TASK
from clockify_tracker.clockify.tasks import SWEEP_TASK as WEBHOOK_SWEEP_TASK
from clockify_tracker.config import Settings
from clockify_tracker.email.tasks import SWEEP_TASK as EMAIL_SWEEP_TASK
from clockify_tracker.kit.outbox.tasks import SWEEP_TASK
from clockify_tracker.report.tasks import SCHEDULE_TASK as REPORT_SCHEDULE_TASK
from clockify_tracker.report.tasks import SWEEP_TASK as REPORT_SWEEP_TASK


def _entry(task: str, every: float) -> dict[str, Any]:
    # A run that waited longer than two periods is superseded by the next one.
    return {"task": task, "schedule": every, "options": {"expires": max(every * 2, 10.0)}}


def beat_schedule(app_settings: Settings) -> dict[str, dict[str, Any]]:
    interval = app_settings.email_process_interval
    schedule = {
        "outbox-sweeper": _entry(SWEEP_TASK, interval),
        "webhook-sweeper": _entry(WEBHOOK_SWEEP_TASK, interval),
        "email-sweeper": _entry(EMAIL_SWEEP_TASK, interval),
        "report-sweeper": _entry(REPORT_SWEEP_TASK, interval),
        "automation-sweeper": _entry(AUTOMATION_SWEEP_TASK, interval),
    }
    # Both are safe with several beats: the report period and the overtime flag are each
    # recorded once in PostgreSQL, whoever gets there first.
    if app_settings.reports_schedule_enabled:
        schedule["report-scheduler"] = _entry(
            REPORT_SCHEDULE_TASK, app_settings.report_schedule_interval
        )
    # Safe with several beats too: a tick is unique per automation in PostgreSQL.
    if app_settings.automation_dispatch_interval > 0:
        schedule["automation-dispatcher"] = _entry(
            AUTOMATION_DISPATCH_TASK, app_settings.automation_dispatch_interval
        )
    if app_settings.monitor_interval_seconds > 0:
        schedule["open-session-monitor"] = _entry(
            MONITOR_TASK, app_settings.monitor_interval_seconds
        )
    return schedule
