"""Input types that PostgreSQL would otherwise refuse with a 500: integers beyond bigint and
text containing NUL characters. Refused here as 422 naming the field."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, Field

INT64_MAX = 2**63 - 1


def reject_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


NoNul = AfterValidator(reject_nul)
CleanStr = Annotated[str, NoNul]
DbId = Annotated[int, Field(ge=1, le=INT64_MAX)]
IdPath = Annotated[int, Path(ge=1, le=INT64_MAX, description="Internal id")]
TextPath = Annotated[str, Path(min_length=1, max_length=320), NoNul]
TextQuery = Annotated[str | None, Query(max_length=200), NoNul]
IdQuery = Annotated[int | None, Query(ge=1, le=INT64_MAX)]
