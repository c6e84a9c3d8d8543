"""Input types that PostgreSQL would otherwise refuse with a 500: integers beyond bigint and
text containing NUL characters. Refused here as 422 naming the field."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, Field

from clockify_tracker.kit.time import utcnow

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


_PHONE_CHARACTERS = frozenset("0123456789+-() .")


def _check_phone(value: str) -> str:
    value = " ".join(value.split())
    digits = sum(character.isdigit() for character in value)
    if set(value) - _PHONE_CHARACTERS or not 7 <= digits <= 20:
        raise ValueError("must be a phone number: 7 to 20 digits, with + - ( ) . or spaces")
    return value


def _check_past_date(value: date) -> date:
    if not date(1900, 1, 1) <= value <= utcnow().date():
        raise ValueError("must be a date between 1900-01-01 and today")
    return value


# A phone number as people type it; a birth date that is not in the future.
Phone = Annotated[str, Field(max_length=30), AfterValidator(_check_phone)]
PastDate = Annotated[date, AfterValidator(_check_past_date)]
