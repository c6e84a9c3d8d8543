"""Webhook deliveries: accepted by the request (stored, nothing else), then applied by a task:
workspace, user, session, binnacle and notifications, in the task's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.clockify import repository
from clockify_tracker.clockify.notify import notify
from clockify_tracker.clockify.payload import TimeEntryPayload
from clockify_tracker.clockify.reducer import (
    Delivery,
    Rules,
    SessionState,
    ValidTimes,
    WebhookEvent,
    rank,
    replay,
)
from clockify_tracker.config import Settings
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.outbox import OutboxDispatcher, TaskSignal
from clockify_tracker.kit.time import utcnow
from clockify_tracker.models import (
    BinnacleEntry,
    ClockifyEvent,
    ClockifySession,
    ClockifyUser,
)
from clockify_tracker.organization import service as organization_service

IN_REVIEW = "EN OBSERVACION"
APPROVED = "APROBADO"

# Session columns the binnacle records, in this order.
AUDITED_COLUMNS = (
    "description", "project_id", "project_name", "task_id", "task_name", "tags", "billable",
    "start_at", "end_at", "duration_seconds", "currently_running", "time_zone", "local_date",
    "offset_start", "offset_end", "zoned_start", "zoned_end", "is_manual", "overtime",
    "updating_quantity", "needs_review", "status", "observation", "valid_start_at",
    "valid_end_at", "valid_duration_seconds", "enabled", "disabled_at",
)  # fmt: skip


PROCESS_TASK = "clockify.process_entries"


@dataclass(frozen=True)
class Accepted:
    delivery_id: int | None  # None for a repeat of a delivery already received

    @property
    def duplicate(self) -> bool:
        return self.delivery_id is None


@dataclass(frozen=True)
class IngestResult:
    # created, updated, unchanged (a stale delivery), ignored (late for a deleted entry: kept in
    # its history, but the session stays deleted and nobody is notified), duplicate
    outcome: str
    session_id: int | None
    user_id: int | None


def rules_from(settings: Settings) -> Rules:
    return Rules(
        edit_tolerance=timedelta(minutes=settings.edit_tolerance_minutes),
        overtime_seconds=settings.overtime_hours * 3600,
        manual_requires_review=settings.manual_entries_require_review,
    )


def resolve_zone(*candidates: str | None) -> str:
    """The first valid IANA zone among the candidates, else UTC."""
    for name in candidates:
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return name
    return "UTC"


def effective_status(row: ClockifySession) -> str:
    """Edits in review stay in review until a coordinator's decision covers all of them."""
    reviewed = row.reviewed_quantity if row.reviewed_quantity is not None else -1
    if row.needs_review and (row.decision is None or reviewed < row.time_edits):
        return IN_REVIEW
    return row.decision or APPROVED


def _instant(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


async def last_decision(session: AsyncSession, row: ClockifySession) -> ValidTimes | None:
    """The times the session's last approval or rejection made valid, as its binnacle entry
    recorded them; None when no coordinator has decided on it."""
    if row.decision is None:
        return None
    recorded = await repository.last_decision_snapshot(session, row.id)
    if recorded is None:
        return None
    return ValidTimes(
        _instant(recorded["valid_start_at"]),
        _instant(recorded["valid_end_at"]),
        recorded["valid_duration_seconds"],
    )


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(row: ClockifySession) -> dict[str, Any]:
    values = {column: _json_value(getattr(row, column)) for column in AUDITED_COLUMNS}
    return {"id": row.id, "external_id": row.external_id, **values}


def _apply_state(
    row: ClockifySession, state: SessionState, user: ClockifyUser, settings: Settings
) -> None:
    fields = state.fields
    zone = resolve_zone(fields.time_zone, user.time_zone, settings.app_timezone)
    row.clockify_user_id = user.id
    row.description = fields.description
    row.project_id, row.project_name = fields.project_id, fields.project_name
    row.task_id, row.task_name = fields.task_id, fields.task_name
    row.tags = [{"id": tag_id, "name": name} for tag_id, name in fields.tags]
    row.billable = fields.billable
    row.start_at, row.end_at = fields.start_at, fields.end_at
    row.duration_seconds = fields.duration_seconds
    row.currently_running = fields.running
    row.time_zone = zone
    row.local_date = fields.start_at.astimezone(ZoneInfo(zone)).date()
    row.offset_start, row.offset_end = fields.offset_start, fields.offset_end
    row.zoned_start, row.zoned_end = fields.zoned_start, fields.zoned_end
    row.is_manual = state.is_manual
    # A running timer the monitor flagged stays flagged: its length is not known until it stops.
    row.overtime = state.overtime or (fields.running and row.overtime)
    row.updating_quantity = state.updating_quantity
    row.time_edits = state.time_edits
    row.needs_review = state.needs_review
    row.valid_start_at, row.valid_end_at = state.valid_start_at, state.valid_end_at
    row.valid_duration_seconds = state.valid_duration_seconds
    row.enabled, row.disabled_at = state.enabled, state.disabled_at
    row.status = effective_status(row)


def changes_between(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"field": column, "old": None if before is None else before[column], "new": after[column]}
        for column in AUDITED_COLUMNS
        if before is None or before[column] != after[column]
    ]


def _notification_kinds(before: dict[str, Any] | None, row: ClockifySession) -> list[str]:
    if before is None:
        if not row.enabled:
            return ["deleted"]
        first = "manual" if row.is_manual else "started" if row.currently_running else "stopped"
        return [first] + (["review"] if row.status == IN_REVIEW and not row.is_manual else [])
    kinds: list[str] = []
    if before["currently_running"] and not row.currently_running:
        kinds.append("stopped")
    if row.updating_quantity > before["updating_quantity"]:
        kinds.append("edited")
        if row.status == IN_REVIEW:
            kinds.append("review")
    if before["enabled"] and not row.enabled:
        kinds.append("deleted")
    if not before["enabled"] and row.enabled:
        kinds.append("restored")
    return kinds


def notification_context(row: ClockifySession, user: ClockifyUser) -> dict[str, Any]:
    return {
        "session": snapshot(row),
        "user": {"id": user.id, "name": user.name, "email": user.email, "notify": user.notify},
    }


async def accept_delivery(
    database: Database,
    dispatcher: OutboxDispatcher,
    event: WebhookEvent,
    payload: TimeEntryPayload,
    raw_body: bytes,
) -> Accepted:
    """Store the delivery (a repeat is recognised and not stored again) and, once that is
    committed, signal the task that applies it. A lost signal is re-sent by the sweeper."""
    delivery_id = await repository.insert_delivery(
        await database.raw_pool(),
        entry_id=payload.id,
        workspace_id=payload.workspace_id,
        event=event.value,
        rank=rank(event, payload),
        raw_body=raw_body.decode(),
    )
    if delivery_id is not None:
        dispatcher.signal_soon(TaskSignal(PROCESS_TASK, payload.id))
    return Accepted(delivery_id)


async def process_entry(
    session: AsyncSession, settings: Settings, entry_id: str
) -> list[IngestResult]:
    """Apply an entry's pending deliveries, oldest first, each against the state rebuilt from
    the deliveries applied before it. Safe to run twice or concurrently: the entry is locked
    and applied deliveries are marked."""
    await repository.lock_entry(session, entry_id)
    deliveries = await repository.deliveries_for_entry(session, entry_id)
    applied = [d for d in deliveries if d.processed_at is not None]
    results = []
    for delivery in sorted((d for d in deliveries if d.processed_at is None), key=lambda d: d.id):
        applied.append(delivery)
        applied.sort(key=lambda d: (d.rank, d.id))
        result = await _apply(session, settings, delivery, applied)
        delivery.processed_at = utcnow()
        delivery.outcome = result.outcome
        results.append(result)
    return results


async def _apply(
    session: AsyncSession,
    settings: Settings,
    delivery: ClockifyEvent,
    history: list[ClockifyEvent],
) -> IngestResult:
    event = WebhookEvent(delivery.event)
    payload = TimeEntryPayload.model_validate(delivery.body)
    organization_id = await organization_service.owner_of_workspace(
        session, delivery.workspace_id, None, settings.default_organization
    )
    delivery.organization_id = organization_id
    user = await repository.upsert_user(
        session,
        organization_id=organization_id,
        external_id=payload.user.id,
        name=payload.user.name,
        status=payload.user.status,
    )
    row = await repository.session_by_external_id(session, payload.id)
    state = replay(
        [
            Delivery(WebhookEvent(d.event), TimeEntryPayload.model_validate(d.body), d.received_at)
            for d in history
        ],
        rules_from(settings),
        await last_decision(session, row) if row is not None else None,
    )
    assert state is not None

    before = snapshot(row) if row is not None else None
    if row is None:
        row = ClockifySession(
            organization_id=organization_id,
            external_id=payload.id,
            workspace_id=payload.workspace_id,
            clockify_user_id=user.id,
        )
        repository.add_session(session, row)
    _apply_state(row, state, user, settings)
    await session.flush()
    after = snapshot(row)
    changes = changes_between(before, after)
    stays_deleted = before is not None and not before["enabled"] and not row.enabled
    if not changes:
        return IngestResult("ignored" if stays_deleted else "unchanged", row.id, user.id)

    repository.add_binnacle_entry(
        session,
        BinnacleEntry(
            organization_id=organization_id,
            session_id=row.id,
            external_id=row.external_id,
            event=event.value,
            source="webhook",
            actor=None,
            changes=changes,
            snapshot=after,
        ),
    )
    if stays_deleted:
        return IngestResult("ignored", row.id, user.id)
    kinds = _notification_kinds(before, row)
    if row.overtime and not row.overtime_notified:
        row.overtime_notified = True
        kinds.append("overtime")
    context = notification_context(row, user)
    if before is not None:
        context["before"] = before
    for kind in kinds:
        await notify(
            session, settings, kind=kind, organization_id=organization_id, session_id=row.id,
            user=user, context=context,
            # The review email already says what was edited: one email per change.
            send_email=not (kind == "edited" and "review" in kinds),
        )  # fmt: skip
    return IngestResult("created" if before is None else "updated", row.id, user.id)


async def stale_entries(session: AsyncSession, settings: Settings, limit: int = 500) -> list[str]:
    return await repository.entries_with_stale_deliveries(
        session, older_than_seconds=settings.outbox_grace_seconds, limit=limit
    )


async def record_failed_apply(session: AsyncSession, entry_id: str, error: str) -> None:
    """Count a failed attempt on the entry's pending deliveries and keep the error."""
    await repository.record_failed_apply(session, entry_id, error[:2000])
