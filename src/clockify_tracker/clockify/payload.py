"""The time-entry body Clockify really sends (see shared/docs/clockify-webhooks.md §3).

Tolerant on purpose: unknown fields are ignored, optional ones may be absent or null, tags come as
objects (or bare ids), durations are ISO-8601 with hours beyond 24. The body names no event."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from clockify_tracker.kit.text import single_line

_DURATION = re.compile(
    r"^P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


# Durations are stored as 32-bit seconds (about 68 years): anything longer is not a time entry.
MAX_DURATION_SECONDS = 2**31 - 1


def check_duration(seconds: int) -> int:
    if not 0 <= seconds <= MAX_DURATION_SECONDS:
        raise ValueError(f"duration out of range (0 to {MAX_DURATION_SECONDS} seconds)")
    return seconds


def parse_duration(value: str) -> int:
    """`PT19471H16M48S` -> seconds. Raises ValueError for anything else."""
    match = _DURATION.match(value.strip())
    if not match or value.strip() in {"P", "PT"}:
        raise ValueError(f"not an ISO-8601 duration: {value!r}")
    parts = {k: float(v) for k, v in match.groupdict(default="0").items()}
    return check_duration(
        int(
            parts["days"] * 86400 + parts["hours"] * 3600 + parts["minutes"] * 60 + parts["seconds"]
        )
    )


def format_duration(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return text + (f"{secs}S" if secs or text == "PT" else "")


# Names end up in email subjects and headers: one line each, whatever Clockify sent.
Name = Annotated[str, AfterValidator(single_line)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Tag(_Lenient):
    id: str
    name: Name | None = None


class Project(_Lenient):
    id: str | None = None
    name: Name | None = None
    client_name: Name | None = Field(default=None, alias="clientName")


class Task(_Lenient):
    id: str | None = None
    name: Name | None = None


class UserRef(_Lenient):
    id: str = Field(min_length=1, max_length=64)
    name: Name = ""
    status: str | None = None


class TimeInterval(_Lenient):
    start: datetime
    end: datetime | None = None
    duration: str | None = None
    time_zone: str | None = Field(default=None, alias="timeZone")
    offset_start: int | None = Field(default=None, alias="offsetStart")
    offset_end: int | None = Field(default=None, alias="offsetEnd")
    zoned_start: str | None = Field(default=None, alias="zonedStart")
    zoned_end: str | None = Field(default=None, alias="zonedEnd")

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a time zone (Clockify sends UTC with Z)")
        return value

    @field_validator("duration")
    @classmethod
    def _iso_duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @model_validator(mode="after")
    def _ordered(self) -> TimeInterval:
        if self.end is not None:
            if self.end < self.start:
                raise ValueError("end is before start")
            check_duration(int((self.end - self.start).total_seconds()))
        return self

    @property
    def duration_seconds(self) -> int | None:
        if self.duration is not None:
            return parse_duration(self.duration)
        if self.end is not None:
            return int((self.end - self.start).total_seconds())
        return None


class TimeEntryPayload(_Lenient):
    model_config = ConfigDict(
        extra="ignore",
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "6260fee78065a229df4561dd",
                    "description": "cloud practitioner",
                    "userId": "625cf4a6a7d9d34012f70de1",
                    "workspaceId": "625cf4a6a7d9d34012f70de2",
                    "projectId": "625d15dfbea8f62f6f3aa377",
                    "billable": True,
                    "currentlyRunning": False,
                    "timeInterval": {
                        "start": "2022-04-21T06:51:17Z",
                        "end": "2022-04-21T06:51:43Z",
                        "duration": "PT26S",
                    },
                    "project": {"id": "625d15dfbea8f62f6f3aa377", "name": "Formación"},
                    "task": None,
                    "user": {"id": "625cf4a6a7d9d34012f70de1", "name": "JP", "status": "ACTIVE"},
                    "tags": [],
                }
            ]
        },
    )

    id: str = Field(min_length=1, max_length=64, description="Clockify time-entry id")
    description: str | None = ""
    user_id: str | None = Field(default=None, alias="userId")
    workspace_id: str = Field(alias="workspaceId", min_length=1, max_length=64)
    project_id: str | None = Field(default=None, alias="projectId")
    billable: bool | None = None
    currently_running: bool | None = Field(default=None, alias="currentlyRunning")
    time_interval: TimeInterval = Field(alias="timeInterval")
    project: Project | None = None
    task: Task | None = None
    user: UserRef
    tags: list[Tag] = Field(default_factory=list)

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, list):
            return [{"id": item} if isinstance(item, str) else item for item in value]
        return value

    @property
    def running(self) -> bool:
        return self.time_interval.end is None
