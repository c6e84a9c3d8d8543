"""Wire shapes of the Clockify part (the seed's camelCase names)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WebhookAccepted(BaseModel):
    message: str = Field(examples=["Evento procesado"])
    outcome: str = Field(
        description="created, updated, unchanged (a late or stale delivery), duplicate",
        examples=["created"],
    )
    sessionId: int | None = Field(examples=[15])  # noqa: N815 - wire name
    userId: int | None = Field(examples=[3])  # noqa: N815 - wire name
