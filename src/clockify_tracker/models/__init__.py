"""Every ORM model, imported here so Alembic and the app see the whole schema."""

from clockify_tracker.models.base import Base
from clockify_tracker.models.outbox import OutboxMessage, OutboxStatus

__all__ = ["Base", "OutboxMessage", "OutboxStatus"]
