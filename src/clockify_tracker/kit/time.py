"""Time helpers: aware datetimes only; UTC inside, local zones at the edges."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
