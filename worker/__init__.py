"""Celery process wiring: `celery -A worker worker|beat|flower`."""

from worker.app import app

__all__ = ["app"]
