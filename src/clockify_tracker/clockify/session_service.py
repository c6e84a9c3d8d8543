"""Coordinators' reads of sessions and the binnacle, and the approval of sessions in review."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.clockify import repository
from clockify_tracker.clockify.dependencies import ClockifyScope
from clockify_tracker.clockify.ingest import (
    IN_REVIEW,
    effective_status,
    notification_context,
    resolve_zone,
    snapshot,
)
from clockify_tracker.clockify.notify import notify
from clockify_tracker.clockify.payload import check_duration, parse_duration
from clockify_tracker.clockify.reducer import ValidTimes, decision_times
from clockify_tracker.clockify.repository import BinnacleRow, SessionFilters, SessionRow
from clockify_tracker.clockify.schemas import SessionCreate, SessionUpdate
from clockify_tracker.config import Settings
from clockify_tracker.exceptions import ConflictError, NotFoundError, UnprocessableError
from clockify_tracker.kit.pagination import Page
from clockify_tracker.kit.time import utcnow
from clockify_tracker.models import BinnacleEntry, ClockifySession

APPROVED, REJECTED = "APROBADO", "REPROBADO"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(value: str | None, field: str) -> date | None:
    """`YYYY-MM-DD` or nothing: any other spelling is 422 naming the field."""
    if value is None:
        return None
    try:
        if not _DAY.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise UnprocessableError(f"{field} debe ser una fecha YYYY-MM-DD", field=field) from None


async def list_sessions(
    session: AsyncSession, scope: ClockifyScope, filters: SessionFilters, page: Page
) -> tuple[list[SessionRow], int]:
    return await repository.list_sessions(
        session, scope.readable, filters, limit=page.limit, offset=page.offset
    )


async def get_session(session: AsyncSession, scope: ClockifyScope, session_id: int) -> SessionRow:
    found = await repository.session_with_user(session, session_id=session_id)
    if found is None:
        raise NotFoundError("Sesión no encontrada")
    scope.check_read(found[0].organization_id)
    return found


async def decide(
    session: AsyncSession,
    scope: ClockifyScope,
    settings: Settings,
    external_id: str,
    *,
    approve: bool,
    observation: str | None,
) -> SessionRow:
    """Approve (the current times become the valid ones) or reject (the last accepted ones
    stay) a session in review; recorded in the binnacle and notified. The binnacle entry is
    the decision's record: until the next decision, later deliveries keep its valid times."""
    found = await repository.session_with_user(session, external_id=external_id)
    if found is None:
        raise NotFoundError("Sesión no encontrada", field="externalSesionId")
    row, user, _ = found
    scope.check_write(row.organization_id)
    if row.status != IN_REVIEW:
        raise ConflictError(
            f"Solo se aprueban o rechazan sesiones EN OBSERVACION; esta está {row.status}"
        )
    before = snapshot(row)
    row.decision = APPROVED if approve else REJECTED
    row.reviewed_quantity = row.time_edits
    row.observation = observation
    decided = decision_times(
        approve=approve,
        current=ValidTimes(row.start_at, row.end_at, row.duration_seconds),
        accepted=ValidTimes(row.valid_start_at, row.valid_end_at, row.valid_duration_seconds),
    )
    row.valid_start_at, row.valid_end_at = decided.start_at, decided.end_at
    row.valid_duration_seconds = decided.duration_seconds
    row.status = effective_status(row)
    await _record(session, row, "approval" if approve else "rejection", scope.actor, before)
    await notify(
        session, settings, kind="approved" if approve else "rejected",
        organization_id=row.organization_id, session_id=row.id, user=user,
        context={**notification_context(row, user), "actor": scope.actor},
    )  # fmt: skip
    return found


async def list_binnacle(
    session: AsyncSession,
    scope: ClockifyScope,
    page: Page,
    *,
    session_id: int | None = None,
    filters: SessionFilters | None = None,
) -> tuple[list[BinnacleRow], int]:
    if session_id is not None:
        await get_session(session, scope, session_id)
    return await repository.list_binnacle(
        session,
        scope.readable,
        session_id=session_id,
        filters=filters,
        limit=page.limit,
        offset=page.offset,
    )


async def get_binnacle_entry(
    session: AsyncSession, scope: ClockifyScope, entry_id: int
) -> BinnacleRow:
    found = await repository.get_binnacle_entry(session, entry_id)
    if found is None:
        raise NotFoundError("Entrada de bitácora no encontrada")
    scope.check_read(found.entry.organization_id)
    return found


async def _record(
    session: AsyncSession,
    row: ClockifySession,
    event: str,
    actor: str,
    before: dict[str, Any] | None,
    extra_changes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Append the binnacle entry of a change made through the API; returns the snapshot."""
    await session.flush()
    after = snapshot(row)
    changes = [
        {"field": key, "old": None if before is None else before.get(key), "new": value}
        for key, value in after.items()
        if before is None or before.get(key) != value
    ]
    repository.add_binnacle_entry(
        session,
        BinnacleEntry(
            organization_id=row.organization_id,
            session_id=row.id,
            external_id=row.external_id,
            event=event,
            source="api",
            actor=actor,
            changes=[*changes, *(extra_changes or [])],
            snapshot=after,
        ),
    )
    return after


def _duration(start: datetime, end: datetime | None, iso: str | None) -> int | None:
    """From the ISO duration sent, else from the times; 422 when out of range."""
    try:
        if iso is not None:
            return parse_duration(iso)
        return check_duration(int((end - start).total_seconds())) if end is not None else None
    except ValueError as exc:
        raise UnprocessableError(str(exc), field="duration" if iso else "endDate") from None


async def create_session(
    session: AsyncSession, scope: ClockifyScope, settings: Settings, body: SessionCreate
) -> SessionRow:
    """A session entered by a coordinator: accepted as entered (its times are the valid ones)."""
    user = await repository.user_by_id(session, body.idUser)
    if user is None:
        raise NotFoundError("Usuario no encontrado", field="idUser")
    scope.check_read(user.organization_id)
    scope.check_write(user.organization_id)
    if await repository.session_with_user(session, external_id=body.external_sesion_id):
        raise ConflictError(
            f"Ya existe la sesión {body.external_sesion_id}", field="external_sesion_id"
        )
    if body.endDate is not None and body.endDate < body.startDate:
        raise UnprocessableError("endDate no puede ser anterior a startDate", field="endDate")
    duration = _duration(body.startDate, body.endDate, body.duration)
    zone = resolve_zone(body.timeZone, user.time_zone, settings.app_timezone)
    row = ClockifySession(
        organization_id=user.organization_id,
        external_id=body.external_sesion_id,
        clockify_user_id=user.id,
        workspace_id=body.idWorkspace or "",
        workspace_name=" ".join((body.workspaceName or "").split()) or None,
        description=body.description,
        project_id=body.idProject,
        project_name=body.projectName,
        task_id=body.idTask,
        task_name=body.taskName,
        tags=[],
        start_at=body.startDate,
        end_at=body.endDate,
        duration_seconds=duration,
        currently_running=body.currentlyRunning
        if body.currentlyRunning is not None
        else body.endDate is None,
        time_zone=zone,
        local_date=body.startDate.astimezone(ZoneInfo(zone)).date(),
        offset_start=body.offsetStart,
        offset_end=body.offsetEnd,
        overtime=duration is not None and duration > settings.overtime_hours * 3600,
        valid_start_at=body.startDate,
        valid_end_at=body.endDate,
        valid_duration_seconds=duration,
        status=APPROVED,
    )
    repository.add_session(session, row)
    await _record(session, row, "create", scope.actor, None)
    return SessionRow(
        row,
        user,
        row.workspace_name
        or await repository.workspace_name(session, row.organization_id, row.workspace_id),
    )


async def update_session(
    session: AsyncSession,
    scope: ClockifyScope,
    settings: Settings,
    session_id: int,
    body: SessionUpdate,
) -> SessionRow:
    """A coordinator's correction: counted as an edit; corrected times become the valid ones
    (the coordinator is the reviewer). A later edit in Clockify supersedes it."""
    found = await get_session(session, scope, session_id)
    row = found.session
    scope.check_write(row.organization_id)
    sent = body.model_fields_set
    if not sent:
        raise UnprocessableError("Indica al menos un campo a cambiar", field="body")
    before = snapshot(row)
    if "description" in sent:
        row.description = body.description or ""
    for field, column in (
        ("idProject", "project_id"), ("projectName", "project_name"),
        ("idTask", "task_id"), ("taskName", "task_name"),
    ):  # fmt: skip
        if field in sent:
            setattr(row, column, getattr(body, field))
    start = body.startDate if "startDate" in sent and body.startDate else row.start_at
    end = body.endDate if "endDate" in sent else row.end_at
    if end is not None and end < start:
        raise UnprocessableError("endDate no puede ser anterior a startDate", field="endDate")
    if {"startDate", "endDate", "duration"} & sent:
        row.start_at, row.end_at = start, end
        row.duration_seconds = _duration(start, end, body.duration)
        row.currently_running = end is None
        row.valid_start_at, row.valid_end_at = row.start_at, row.end_at
        row.valid_duration_seconds = row.duration_seconds
        row.overtime = (row.duration_seconds or 0) > settings.overtime_hours * 3600
    if "timeZone" in sent and body.timeZone:
        row.time_zone = body.timeZone
    row.local_date = row.start_at.astimezone(ZoneInfo(row.time_zone)).date()
    row.updating_quantity += 1
    row.status = effective_status(row)
    await _record(session, row, "update", scope.actor, before)
    return found


async def delete_session(
    session: AsyncSession, scope: ClockifyScope, session_id: int
) -> SessionRow:
    """Soft, like the webhook. Also kept in the entry's delivery history, so a later replay of
    its webhooks does not bring it back."""
    found = await get_session(session, scope, session_id)
    row = found.session
    scope.check_write(row.organization_id)
    if not row.enabled:
        raise ConflictError("La sesión ya está eliminada")
    before = snapshot(row)
    row.enabled, row.disabled_at = False, utcnow()
    row.status = effective_status(row)
    await repository.record_api_delete(session, row.external_id)
    await _record(session, row, "delete", scope.actor, before)
    return found


async def add_note(
    session: AsyncSession, scope: ClockifyScope, session_id: int, text: str
) -> BinnacleRow:
    row = (await get_session(session, scope, session_id)).session
    scope.check_write(row.organization_id)
    await _record(
        session, row, "note", scope.actor, snapshot(row),
        extra_changes=[{"field": "note", "old": None, "new": text}],
    )  # fmt: skip
    await session.flush()
    entry = await repository.latest_binnacle_entry(session, row.id)
    assert entry is not None
    return BinnacleRow(entry, row.clockify_user_id)
