"""The Celery app object. Process wiring (beat schedule, signals, task imports) is in `worker/`."""

from __future__ import annotations

from typing import Any

from celery import Celery

from clockify_tracker.config import Settings, settings


def celery_config(app_settings: Settings) -> dict[str, Any]:
    broker = app_settings.redis_url.get_secret_value()
    return {
        "broker_url": broker,
        "broker_connection_retry_on_startup": True,
        # Fail fast on publish: the outbox sweeper re-sends what could not be handed over.
        "broker_connection_timeout": 2,
        "broker_transport_options": {
            "visibility_timeout": 3600,
            "socket_connect_timeout": 2,
            "socket_timeout": 10,
        },
        "result_backend": None,
        "task_ignore_result": True,
        # A task is acknowledged only when it finished; a killed worker's task is redelivered.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "accept_content": ["json"],
        "timezone": app_settings.app_timezone,
        "enable_utc": True,
        "task_default_queue": "default",
        "worker_hijack_root_logger": False,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "beat_schedule_filename": str(app_settings.celery_beat_schedule_file),
    }


def create_celery_app(app_settings: Settings) -> Celery:
    app = Celery("clockify_tracker")
    app.conf.update(celery_config(app_settings))
    return app


celery_app = create_celery_app(settings)
