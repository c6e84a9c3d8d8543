"""The `{success, data, message}` envelope of the platform contracts (auth, automations)."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    success: bool = Field(default=True, examples=[True])
    data: T
    message: str | None = Field(default=None, examples=["Operación realizada"])
