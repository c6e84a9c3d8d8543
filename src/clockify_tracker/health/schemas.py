from __future__ import annotations

from pydantic import BaseModel, Field


class Liveness(BaseModel):
    status: str = Field(examples=["ok"])


class Readiness(BaseModel):
    status: str = Field(description="`ok` or `unavailable`", examples=["ok"])
    checks: dict[str, str] = Field(examples=[{"postgres": "ok", "redis": "ok"}])
    message: str | None = Field(default=None, examples=[None, "redis is down"])
