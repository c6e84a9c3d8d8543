"""Coordinators' reads of sessions and the binnacle, and the approval of sessions in review."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.clockify import repository
from clockify_tracker.clockify.dependencies import ClockifyScope
from clockify_tracker.clockify.ingest import IN_REVIEW, effective_status, snapshot
from clockify_tracker.clockify.repository import SessionFilters
from clockify_tracker.exceptions import ConflictError, NotFoundError, UnprocessableError
from clockify_tracker.kit.pagination import Page
from clockify_tracker.models import BinnacleEntry, ClockifySession, ClockifyUser, Notification

APPROVED, REJECTED = "APROBADO", "REPROBADO"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

SessionRow = tuple[ClockifySession, ClockifyUser]


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
    external_id: str,
    *,
    approve: bool,
    observation: str | None,
) -> SessionRow:
    """Approve (the current times become the valid ones) or reject (the last accepted ones
    stay) a session in review; recorded in the binnacle and notified."""
    found = await repository.session_with_user(session, external_id=external_id)
    if found is None:
        raise NotFoundError("Sesión no encontrada", field="externalSesionId")
    row, user = found
    scope.check_write(row.organization_id)
    if row.status != IN_REVIEW:
        raise ConflictError(
            f"Solo se aprueban o rechazan sesiones EN OBSERVACION; esta está {row.status}"
        )
    before = snapshot(row)
    row.decision = APPROVED if approve else REJECTED
    row.reviewed_quantity = row.time_edits
    row.observation = observation
    if approve:
        row.valid_start_at, row.valid_end_at = row.start_at, row.end_at
        row.valid_duration_seconds = row.duration_seconds
    row.status = effective_status(row)
    await session.flush()
    after = snapshot(row)
    changes = [
        {"field": key, "old": before[key], "new": after[key]}
        for key in after
        if before.get(key) != after[key]
    ]
    repository.add_binnacle_entry(
        session,
        BinnacleEntry(
            organization_id=row.organization_id,
            session_id=row.id,
            external_id=row.external_id,
            event="approval" if approve else "rejection",
            source="api",
            actor=scope.actor,
            changes=changes,
            snapshot=after,
        ),
    )
    repository.add_notification(
        session,
        Notification(
            organization_id=row.organization_id,
            kind="approved" if approve else "rejected",
            session_id=row.id,
            clockify_user_id=user.id,
            context={
                "session": after,
                "user": {
                    "id": user.id,
                    "name": user.name,
                    "email": user.email,
                    "notify": user.notify,
                },
                "actor": scope.actor,
            },
        ),
    )
    return row, user


async def list_binnacle(
    session: AsyncSession,
    scope: ClockifyScope,
    page: Page,
    *,
    session_id: int | None = None,
    filters: SessionFilters | None = None,
) -> tuple[list[BinnacleEntry], int]:
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
) -> BinnacleEntry:
    entry = await repository.get_binnacle_entry(session, entry_id)
    if entry is None:
        raise NotFoundError("Entrada de bitácora no encontrada")
    scope.check_read(entry.organization_id)
    return entry
