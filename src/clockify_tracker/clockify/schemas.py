"""Wire shapes of the Clockify part (the seed's camelCase names)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WebhookAccepted(BaseModel):
    message: str = Field(examples=["Evento recibido"])
    outcome: str = Field(
        description="accepted (stored; applied by the worker within moments) or duplicate "
        "(this exact delivery was received before)",
        examples=["accepted"],
    )
    deliveryId: int | None = Field(examples=[1024])  # noqa: N815 - wire name
