"""Reports: asked for by a coordinator or due by the schedule, built by the worker from
streamed rows, stored, and emailed through the email outbox in the transaction that finishes
the job."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from clockify_tracker.clockify import repository as clockify_repository
from clockify_tracker.clockify import user_service
from clockify_tracker.config import Settings
from clockify_tracker.email import service as email_service
from clockify_tracker.email.content import report_delivery
from clockify_tracker.exceptions import ConflictError, NotFoundError, UnprocessableError
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.logging import redact
from clockify_tracker.kit.outbox import signal_after_commit
from clockify_tracker.models import ClockifyUser, ReportJob
from clockify_tracker.organization import service as organization_service
from clockify_tracker.report import periods, repository
from clockify_tracker.report.periods import Period
from clockify_tracker.report.workbook import (
    ReportPeriod,
    ReportSession,
    ReportUser,
    UserTotals,
    coordinators_workbook,
    personal_workbook,
    report_filename,
)
from clockify_tracker.storage import service as storage

if TYPE_CHECKING:
    from clockify_tracker.clockify.dependencies import ClockifyScope

log = logging.getLogger(__name__)

BUILD_TASK = "report.build"
LEASE_SECONDS = 1800
MAX_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 60.0
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LABELS = {"weekly": "semanal", "monthly": "mensual", "custom": "personalizado"}


# --- asking for reports ----------------------------------------------------------------------


def requested_period(
    kind: str, today: date, *, month: int | None, year: int | None, start_date: date | None
) -> Period:
    """The seed's sendAllReports: a week from `start_date` or the previous full week; `month`
    of `year` (default: this year) or the previous full month. The schema refuses the
    combinations that mean nothing (a year without a month, a month for a week)."""
    if kind == "weekly":
        return periods.week_from(start_date) if start_date else periods.previous_week(today)
    if month is None:
        return periods.previous_month(today)
    return periods.month(year or today.year, month)


async def request_periodic(
    session: AsyncSession, scope: ClockifyScope, settings: Settings, period: Period
) -> list[ReportJob]:
    """One job per organization: the caller's active one, or every one for the service token."""
    if scope.home_organization_id is not None:
        scope.check_write(scope.home_organization_id)
        organization_ids = [scope.home_organization_id]
    else:
        organization_ids = await repository.organization_ids(session)
    jobs = [
        ReportJob(
            organization_id=organization_id,
            kind=period.kind,
            trigger="manual",
            period_start=period.start,
            period_end=period.end,
            requested_by=scope.actor,
        )
        for organization_id in organization_ids
    ]
    return await _add(session, jobs)


async def request_custom(
    session: AsyncSession,
    scope: ClockifyScope,
    settings: Settings,
    *,
    user_id: int,
    first_day: date,
    last_day: date,
    email_to: str,
) -> ReportJob:
    """One user's sessions of any range, to an address that belongs to the user, the caller or
    the organization's coordinators: never to an arbitrary address."""
    user = await clockify_repository.user_by_id(session, user_id)
    if user is None or (scope.readable is not None and user.organization_id not in scope.readable):
        raise NotFoundError(f"Usuario no encontrado: {user_id}", field="body.idUser")
    if first_day > last_day:
        raise UnprocessableError(
            "endDate debe ser igual o posterior a startDate", field="body.endDate"
        )
    if (last_day - first_day).days + 1 > settings.report_max_days:
        raise UnprocessableError(
            f"El rango no puede pasar de {settings.report_max_days} días", field="body.endDate"
        )
    address = email_to.lower()
    if address not in await _others_allowed(session, scope, settings, user):
        if address != (user.email or "").lower():
            raise UnprocessableError(
                "emailToSend debe ser el correo del usuario, el tuyo o el de la coordinación "
                "de su organización: un reporte no se envía a cualquier dirección",
                field="body.emailToSend",
            )
        held_until = await user_service.email_held_until(session, settings, user)
        if held_until is not None:
            raise ConflictError(
                "El correo de este usuario cambió hace poco y ningún administrador lo ha "
                "confirmado: no recibe reportes hasta "
                f"{held_until.astimezone(settings.timezone):%d/%m/%Y %H:%M} "
                f"({settings.timezone.key}) o hasta que un administrador lo confirme",
                field="body.emailToSend",
            )
    job = ReportJob(
        organization_id=user.organization_id, kind="custom", trigger="manual",
        period_start=first_day, period_end=last_day, clockify_user_id=user.id,
        email_to=email_to, requested_by=scope.actor,
    )  # fmt: skip
    (added,) = await _add(session, [job])
    return added


async def _others_allowed(
    session: AsyncSession, scope: ClockifyScope, settings: Settings, user: ClockifyUser
) -> set[str]:
    """The caller's and the coordination's addresses. The user's own is allowed too, but
    only when it was not changed recently without an administrator's confirmation."""
    coordinators = await organization_service.coordinator_recipients(
        session, user.organization_id,
        configured=settings.coordinator_recipients,
        default_organization=settings.default_organization,
    )  # fmt: skip
    own = [scope.actor] if "@" in scope.actor else []
    return {address.lower() for address in [*coordinators, *own] if address}


async def _add(session: AsyncSession, jobs: list[ReportJob]) -> list[ReportJob]:
    for job in jobs:
        repository.add(session, job)
    await session.flush()
    for job in jobs:
        signal_after_commit(session, BUILD_TASK, job.id)
    return jobs


async def get_job(session: AsyncSession, scope: ClockifyScope, job_id: int) -> ReportJob:
    job = await repository.get(session, scope.readable, job_id)
    if job is None:
        raise NotFoundError("Reporte no encontrado")
    return job


async def download(session: AsyncSession, scope: ClockifyScope, job_id: int) -> tuple[str, bytes]:
    job = await get_job(session, scope, job_id)
    if job.status != "done" or job.file_id is None:
        raise NotFoundError(f"El reporte aún no tiene archivo (estado: {job.status})")
    (stored,) = await storage.load(session, [job.file_id])
    return stored.filename, stored.content


# --- the schedule --------------------------------------------------------------------------


async def schedule_due(session: AsyncSession, settings: Settings, now: datetime) -> list[int]:
    """Make sure every due period has its job in every organization; a job that exists
    already (another beat, an earlier check) is left alone. Returns the jobs created."""
    if not settings.reports_schedule_enabled:
        return []
    due = periods.due_periods(
        now.astimezone(settings.timezone),
        settings.report_send_hour,
        timedelta(hours=settings.report_catch_up_hours),
    )
    created = []
    for period, _ in due:
        for organization_id in await repository.organization_ids(session):
            job_id = await repository.insert_scheduled(
                session, organization_id, period.kind, period.start, period.end
            )
            if job_id is not None:
                signal_after_commit(session, BUILD_TASK, job_id)
                created.append(job_id)
    return created


async def due(database: Database) -> list[int]:
    async with database.unit_of_work() as session:
        return await repository.due_ids(session)


# --- building ------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobSpec:
    id: int
    attempt: int
    organization_id: int
    kind: str
    period: Period
    user_id: int | None


@dataclass
class BuiltFile:
    path: Path
    filename: str
    totals: UserTotals
    recipient: str | None = None


@dataclass
class Built:
    main: BuiltFile | None = None
    personal: list[BuiltFile] = field(default_factory=list)
    users: int = 0


async def build(database: Database, settings: Settings, job_id: int, now: datetime) -> str:
    """Claim, build the workbooks reading a server-side cursor, then store them, queue the
    emails and finish the job in one transaction. Returns what happened."""
    async with database.unit_of_work() as session:
        job = await repository.claim(session, job_id, timedelta(seconds=LEASE_SECONDS))
        if job is None:
            return "skipped"
        spec = JobSpec(
            job.id, job.attempts, job.organization_id, job.kind,
            Period(job.kind, job.period_start, job.period_end), job.clockify_user_id,
        )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="report-") as workdir:
        try:
            async with database.unit_of_work() as session:
                built = await session.run_sync(_build_files, spec, Path(workdir), now)
            async with database.unit_of_work() as session:
                return await _finish(session, settings, spec, built)
        except Exception as exc:
            return await _failed(database, spec, exc)


async def _failed(database: Database, spec: JobSpec, exc: Exception) -> str:
    error = redact(f"{type(exc).__name__}: {exc}")[:1000]
    log.exception("report %s, attempt %s, failed", spec.id, spec.attempt)
    async with database.unit_of_work() as session:
        if spec.attempt >= MAX_ATTEMPTS:
            await repository.mark_failed(session, spec.id, error)
            return "failed"
        delay = RETRY_DELAY_SECONDS * 2 ** (spec.attempt - 1)
        await repository.schedule_retry(session, spec.id, delay, error)
    return "retry"


def _build_files(session: Session, spec: JobSpec, workdir: Path, now: datetime) -> Built:
    """Sync, inside run_sync: rows stream from the cursor straight into openpyxl."""
    period = spec.period
    users = repository.report_users(
        session, spec.organization_id, period.start, period.end, spec.user_id
    )
    report_period = ReportPeriod(LABELS[spec.kind], period.start, period.end)
    built = Built(users=len(users))
    if spec.kind == "custom":
        (user,) = users
        built.main = _personal(session, spec, user, report_period, workdir, now)
        return built
    rows = repository.stream_sessions(session, spec.organization_id, period.start, period.end, None)
    path = workdir / "coordinacion.xlsx"
    totals = coordinators_workbook(path, report_period, _by_user(users, rows, period, now))
    built.main = BuiltFile(path, report_filename("coordinacion", report_period), _sum(totals))
    for user, user_totals in zip(users, totals, strict=True):
        if user_totals.sessions and user.email and user.notify and user.enabled:
            built.personal.append(_personal(session, spec, user, report_period, workdir, now))
    return built


def _personal(
    session: Session,
    spec: JobSpec,
    user: ClockifyUser,
    report_period: ReportPeriod,
    workdir: Path,
    now: datetime,
) -> BuiltFile:
    period = spec.period
    rows = repository.stream_sessions(
        session, spec.organization_id, period.start, period.end, user.id
    )
    path = workdir / f"user-{user.id}.xlsx"
    totals = personal_workbook(
        path, _report_user(user, period), report_period, (_session(r, now) for r in rows)
    )
    return BuiltFile(path, report_filename(user.name, report_period), totals, user.email)


def _report_user(user: ClockifyUser, period: Period) -> ReportUser:
    return ReportUser(user.name, user.email, periods.expected_hours(user.hours_per_month, period))


def _by_user(
    users: list[ClockifyUser], rows: Iterable[Row[Any]], period: Period, now: datetime
) -> Iterator[tuple[ReportUser, Iterator[ReportSession]]]:
    """Pair each user with their sessions: both come in the same order (name, id)."""
    cursor = _GroupedRows(rows)
    for user in users:
        yield _report_user(user, period), (_session(r, now) for r in cursor.take(user.id))


class _GroupedRows:
    def __init__(self, rows: Iterable[Row[Any]]) -> None:
        self._rows = iter(rows)
        self._next: Row[Any] | None = next(self._rows, None)

    def take(self, user_id: int) -> Iterator[Row[Any]]:
        while self._next is not None and self._next.clockify_user_id == user_id:
            row, self._next = self._next, next(self._rows, None)
            yield row


def _session(row: Row[Any], now: datetime) -> ReportSession:
    zone = ZoneInfo(row.time_zone)
    start: datetime = row.start_at
    worked = row.duration_seconds
    if worked is None:  # running: up to the time the report was made
        worked = max(0, int(((row.end_at or now) - start).total_seconds()))
    return ReportSession(
        local_start=start.astimezone(zone),
        local_end=row.end_at.astimezone(zone) if row.end_at else None,
        time_zone=row.time_zone,
        project=row.project_name,
        task=row.task_name,
        description=row.description,
        worked_seconds=worked,
        valid_seconds=row.valid_duration_seconds,
        overtime=row.overtime,
        status=row.status,
        edits=row.updating_quantity,
        running=row.currently_running,
    )


def _sum(totals: list[UserTotals]) -> UserTotals:
    return UserTotals(
        user=ReportUser("Coordinación", None, None),
        sessions=sum(t.sessions for t in totals),
        worked_seconds=sum(t.worked_seconds for t in totals),
        valid_seconds=sum(t.valid_seconds for t in totals),
        overtime_sessions=sum(t.overtime_sessions for t in totals),
        in_review=sum(t.in_review for t in totals),
        days_worked=sum(t.days_worked for t in totals),
    )


async def _finish(session: AsyncSession, settings: Settings, spec: JobSpec, built: Built) -> str:
    job = await repository.lock_running(session, spec.id, spec.attempt)
    if job is None:  # the lease ran out and another attempt owns the job now
        return "superseded"
    emails = 0
    main = built.main
    assert main is not None
    main_file = await _store(session, spec, main)
    job.file_id = main_file
    if spec.kind == "custom":
        assert job.email_to is not None
        await _email(session, spec, main, main_file, [job.email_to], main.totals.user.name)
        emails += 1
    elif main.totals.sessions:
        coordinators = await organization_service.coordinator_recipients(
            session, spec.organization_id,
            configured=settings.coordinator_recipients,
            default_organization=settings.default_organization,
        )  # fmt: skip
        if coordinators:
            await _email(session, spec, main, main_file, coordinators, "Coordinación")
            emails += 1
    # A user's address changed recently by a coordinator, and not confirmed by an
    # administrator, gets no report: the coordinators' workbook still has their sheet.
    held = await user_service.held_emails(session, settings, spec.organization_id)
    withheld = 0
    for personal in built.personal:
        assert personal.recipient is not None
        if personal.recipient.lower() in held:
            log.warning("report %s: not sent to a recently changed address", spec.id)
            withheld += 1
            continue
        file_id = await _store(session, spec, personal)
        await _email(
            session, spec, personal, file_id, [personal.recipient], personal.totals.user.name
        )
        emails += 1
    summary = {"users": built.users, "sessions": main.totals.sessions, "emails": emails}
    job.summary = summary | ({"withheld": withheld} if withheld else {})
    job.status, job.lease_until, job.last_error = "done", None, None
    job.finished_at = datetime.now(tz=settings.timezone)
    return "done"


async def _store(session: AsyncSession, spec: JobSpec, built: BuiltFile) -> int:
    stored = await storage.save(
        session, filename=built.filename, content_type=XLSX,
        content=built.path.read_bytes(), organization_id=spec.organization_id,
    )  # fmt: skip
    session.expunge(stored)  # its bytes are not needed again in this transaction
    return stored.id


async def _email(
    session: AsyncSession,
    spec: JobSpec,
    built: BuiltFile,
    file_id: int,
    recipients: list[str],
    person: str,
) -> None:
    content = report_delivery(
        report_type=spec.kind, person=person, first_day=spec.period.start,
        last_day=spec.period.end, sessions=built.totals.sessions,
        worked_seconds=built.totals.worked_seconds, filename=built.filename,
    )  # fmt: skip
    await email_service.enqueue(
        session, kind="report", recipients=recipients, subject=content.subject,
        text_body=content.text, html_body=content.html,
        organization_id=spec.organization_id, attachment_ids=[file_id],
    )  # fmt: skip
