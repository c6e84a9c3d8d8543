"""The state of a session, derived from the deliveries received for its time entry.

Clockify sends the whole entry with every event but no event id, timestamp or version, and
deliveries can arrive late, twice or out of order. So the session is not patched event by
event: it is rebuilt from every distinct delivery of the entry, replayed in the order the events
must have happened (start, edits while running, stop or manual creation, edits after, delete,
restore; arrival order within one kind). The result does not depend on the arrival order, and a
repeat changes nothing. This module is pure: no database, no clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from clockify_tracker.clockify.payload import TimeEntryPayload


class WebhookEvent(enum.StrEnum):
    START = "start"
    END = "end"
    EDIT = "edit"
    DELETE = "delete"
    MANUAL = "manual"
    RESTORE = "restore"


def rank(event: WebhookEvent, payload: TimeEntryPayload) -> int:
    if event is WebhookEvent.EDIT:
        return 1 if payload.running else 3
    return {
        WebhookEvent.START: 0,
        WebhookEvent.END: 2,
        WebhookEvent.MANUAL: 2,
        WebhookEvent.DELETE: 4,
        WebhookEvent.RESTORE: 5,
    }[event]


@dataclass(frozen=True)
class Rules:
    edit_tolerance: timedelta
    overtime_seconds: float
    manual_requires_review: bool


@dataclass(frozen=True)
class EntryFields:
    """What the body says about the entry, in our words."""

    description: str
    project_id: str | None
    project_name: str | None
    task_id: str | None
    task_name: str | None
    tags: tuple[tuple[str, str | None], ...]
    billable: bool | None
    start_at: datetime
    end_at: datetime | None
    duration_seconds: int | None
    time_zone: str | None
    offset_start: int | None
    offset_end: int | None
    zoned_start: str | None
    zoned_end: str | None

    @property
    def running(self) -> bool:
        return self.end_at is None

    @classmethod
    def of(cls, payload: TimeEntryPayload) -> EntryFields:
        interval = payload.time_interval
        return cls(
            description=payload.description or "",
            project_id=(payload.project.id if payload.project else None) or payload.project_id,
            project_name=payload.project.name if payload.project else None,
            task_id=payload.task.id if payload.task else None,
            task_name=payload.task.name if payload.task else None,
            tags=tuple(sorted((tag.id, tag.name) for tag in payload.tags)),
            billable=payload.billable,
            start_at=interval.start,
            end_at=interval.end,
            duration_seconds=interval.duration_seconds,
            time_zone=interval.time_zone,
            offset_start=interval.offset_start,
            offset_end=interval.offset_end,
            zoned_start=interval.zoned_start,
            zoned_end=interval.zoned_end,
        )


# Fields whose change counts as an edit; the first three are "the times".
TIME_FIELDS = ("start_at", "end_at", "duration_seconds")
COMPARED_FIELDS = (
    *TIME_FIELDS,
    "description",
    "project_id",
    "task_id",
    "tags",
    "billable",
)


@dataclass(frozen=True)
class SessionState:
    fields: EntryFields
    is_manual: bool = False
    updating_quantity: int = 0
    time_edits: int = 0
    needs_review: bool = False
    overtime: bool = False
    valid_start_at: datetime | None = None
    valid_end_at: datetime | None = None
    valid_duration_seconds: int | None = None
    enabled: bool = True
    disabled_at: datetime | None = None


@dataclass(frozen=True)
class Delivery:
    event: WebhookEvent
    payload: TimeEntryPayload
    received_at: datetime


def _with_overtime(state: SessionState, rules: Rules) -> SessionState:
    duration = state.fields.duration_seconds
    return replace(state, overtime=duration is not None and duration > rules.overtime_seconds)


def _accept_times(state: SessionState, fields: EntryFields) -> SessionState:
    """The entry's current times become the accepted ("valid") ones reports use."""
    return replace(
        state,
        valid_start_at=fields.start_at,
        valid_end_at=fields.end_at,
        valid_duration_seconds=fields.duration_seconds,
    )


def _create(event: WebhookEvent, fields: EntryFields, rules: Rules) -> SessionState:
    if event is WebhookEvent.MANUAL and rules.manual_requires_review:
        return SessionState(fields=fields, is_manual=True, needs_review=True)
    return _accept_times(
        SessionState(fields=fields, is_manual=event is WebhookEvent.MANUAL), fields
    )


def _within(old: datetime | None, new: datetime | None, tolerance: timedelta) -> bool:
    if old is None or new is None:
        return old == new
    return abs(new - old) <= tolerance


def _edit(state: SessionState, fields: EntryFields, rules: Rules) -> SessionState:
    old = state.fields
    changed = [name for name in COMPARED_FIELDS if getattr(old, name) != getattr(fields, name)]
    if not changed:
        return replace(state, fields=fields)
    state = replace(state, fields=fields, updating_quantity=state.updating_quantity + 1)
    if not any(name in TIME_FIELDS for name in changed):
        return state
    time_edits = state.time_edits + 1
    accepted = (
        time_edits == 1
        and not state.is_manual
        and _within(old.start_at, fields.start_at, rules.edit_tolerance)
        and _within(old.end_at, fields.end_at, rules.edit_tolerance)
    )
    if accepted:
        return _accept_times(replace(state, time_edits=time_edits), fields)
    return replace(state, time_edits=time_edits, needs_review=True)


def _stop(state: SessionState, fields: EntryFields) -> SessionState:
    """A running session closes; what was accepted of its start stays accepted."""
    valid_start = state.valid_start_at or fields.start_at
    valid_end = fields.end_at
    valid_duration = (
        int((valid_end - valid_start).total_seconds()) if valid_end is not None else None
    )
    return replace(
        state,
        fields=fields,
        valid_start_at=valid_start,
        valid_end_at=valid_end,
        valid_duration_seconds=valid_duration,
    )


def apply(state: SessionState | None, delivery: Delivery, rules: Rules) -> SessionState | None:
    event, fields = delivery.event, EntryFields.of(delivery.payload)
    if event is WebhookEvent.DELETE:
        base = state or _create(event, fields, rules)
        return replace(base, enabled=False, disabled_at=delivery.received_at)
    if event is WebhookEvent.RESTORE:
        base = state or _create(event, fields, rules)
        return replace(base, enabled=True, disabled_at=None)
    if state is None:
        return _with_overtime(_create(event, fields, rules), rules)
    if not state.enabled:
        return state  # nothing resurrects a deleted entry but a restore
    if event in (WebhookEvent.START, WebhookEvent.MANUAL):
        return state  # a start or creation repeated after the fact changes nothing
    if event is WebhookEvent.END and state.fields.running:
        return _with_overtime(_stop(state, fields), rules)
    return _with_overtime(_edit(state, fields, rules), rules)


def replay(
    deliveries: list[Delivery], rules: Rules, decided: ValidTimes | None = None
) -> SessionState | None:
    """`deliveries` in canonical order (rank, then arrival); `decided`: what the last
    coordinator's decision made valid, if there was one."""
    state: SessionState | None = None
    for delivery in deliveries:
        state = apply(state, delivery, rules)
    return state if state is None else hold_decision(state, decided)


# --- a coordinator's decision --------------------------------------------------------------


@dataclass(frozen=True)
class ValidTimes:
    """The accepted ("valid") times, the ones reports count."""

    start_at: datetime | None
    end_at: datetime | None
    duration_seconds: int | None

    @classmethod
    def current(cls, fields: EntryFields) -> ValidTimes:
        return cls(fields.start_at, fields.end_at, fields.duration_seconds)

    @classmethod
    def accepted(cls, state: SessionState) -> ValidTimes:
        return cls(state.valid_start_at, state.valid_end_at, state.valid_duration_seconds)


def decision_times(*, approve: bool, current: ValidTimes, accepted: ValidTimes) -> ValidTimes:
    """What a decision makes valid: approving, the times the coordinator is looking at;
    rejecting, the ones accepted until then."""
    return current if approve else accepted


def hold_decision(state: SessionState, decided: ValidTimes | None) -> SessionState:
    """A coordinator's decision, not the deliveries replayed, says which times are valid until
    the next decision: later edits only send the session back to review. The one thing a
    delivery adds is the end a decision could not know: approved while running, the session's
    stop completes it (as a stop does for an accepted start)."""
    if decided is None:
        return state
    start, end, duration = decided.start_at, decided.end_at, decided.duration_seconds
    if start is not None and end is None and not state.fields.running:
        end = state.valid_end_at or state.fields.end_at
        duration = int((end - start).total_seconds()) if end is not None else None
    return replace(state, valid_start_at=start, valid_end_at=end, valid_duration_seconds=duration)
