"""The rules of automations: who may manage them, what a valid one is, when a tick runs, and
how a run is recorded. Endpoints and tasks call these; SQL is in the repository."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.auth import service as auth_service
from clockify_tracker.auth.principal import AccountPrincipal, OrganizationAccess
from clockify_tracker.automation import (
    catalogue,
    metadata,
    progress,
    repository,
    sandbox,
    schedule,
    scripts,
)
from clockify_tracker.automation.runner import RunResult, run_script
from clockify_tracker.config import Settings
from clockify_tracker.email import service as email_service
from clockify_tracker.email.content import automation_failure
from clockify_tracker.exceptions import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ServiceUnavailableError,
)
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.outbox import signal_after_commit
from clockify_tracker.models import Automation, AutomationRun, Organization, Role
from clockify_tracker.organization import repository as organization_repository

log = logging.getLogger(__name__)

RUN_TASK = "automation.run"
SCHEDULER = "scheduler@system"
NAME_PREFIX = "prod_"
PREFIX_HINT = 'Debe empezar con "prod_"'
DISPATCH_BATCH = 1000
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # fullmatch: `$` would admit "KEY\n"
# A value becomes an environment variable: large ones make exec fail for the whole run.
MAX_VARIABLE_LENGTH = 8192
# What every run gets; a custom variable may not take one of these names.
RESERVED = {
    "ORG", "DATABASE_NAME", "ADMIN_EMAIL", "AUTOMATIZACION_ID", "EXECUTION_ID", "LOG_ID",
    "SCHEDULED",
}  # fmt: skip
PASSED_THROUGH = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")
# Names of variables that change how a process or the interpreter behaves. A custom variable
# only ever reaches the script as VAR_LOCAL_<KEY>, so one of these names could not override
# anything; it is refused so nobody believes it did.
SYSTEM_NAMES = {
    "PATH", "HOME", "SHELL", "IFS", "ENV", "BASH_ENV", "LD_PRELOAD", "LD_LIBRARY_PATH",
    "LD_AUDIT", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONINSPECT",
    "PYTHONWARNINGS", "PYTHONUSERBASE", "PYTHONSAFEPATH",
}  # fmt: skip


# --- who may ---------------------------------------------------------------------------------


async def require_admin(
    session: AsyncSession, principal: AccountPrincipal, reference: str | None
) -> OrganizationAccess:
    """The target organization (`organizacion`, or the active one) when the caller administers
    it: 404 unknown, 403 not a member or not an administrator there."""
    access = await auth_service.organization_access(session, principal, reference)
    if not access.allows(Role.ADMINISTRADOR):
        raise ForbiddenError("Solo los administradores pueden gestionar automatizaciones")
    return access


# --- what a valid automation is --------------------------------------------------------------


@dataclass(frozen=True)
class AutomationChanges:
    """What a create or edit asks for; None is "not given"."""

    name: str | None = None
    description: str | None = None
    script_path: str | None = None
    cron_expression: str | None = None
    active: bool | None = None
    variables: dict[str, Any] | None = None
    timeout_seconds: int | None = None
    description_given: bool = False


def check_name(name: str) -> str:
    name = name.strip()
    if not name.startswith(NAME_PREFIX) or len(name) == len(NAME_PREFIX):
        raise BadRequestError('El nombre debe empezar con "prod_"', field="nombre")
    return name


def check_cron(expression: str) -> str:
    try:
        return schedule.validate(expression)
    except ValueError:
        raise BadRequestError(schedule.INVALID, field="cron_expresion") from None


def check_variables(variables: dict[str, Any]) -> dict[str, str]:
    """Keys that are variable names and not reserved; values as the strings scripts get."""
    checked: dict[str, str] = {}
    for key, value in variables.items():
        if not VARIABLE_NAME.fullmatch(key):
            raise BadRequestError(
                f"Nombre de variable inválido: {key!r} (letras, números y _; no empieza con "
                "número)",
                field="variables_personalizadas",
            )
        if key.upper() in SYSTEM_NAMES:
            raise BadRequestError(
                f"La variable {key!r} tiene el nombre de una variable del sistema; el script la "
                f"recibiría como VAR_LOCAL_{key.upper()} y no cambiaría {key.upper()}: usa otro "
                "nombre",
                field="variables_personalizadas",
            )
        if key.upper() in RESERVED:
            raise BadRequestError(
                f"La variable {key!r} está reservada (VAR_LOCAL_{key.upper()} la pone el sistema)",
                field="variables_personalizadas",
            )
        if isinstance(value, bool):
            checked[key] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            checked[key] = str(value)
        else:
            raise BadRequestError(
                f"El valor de {key!r} debe ser texto, número o booleano",
                field="variables_personalizadas",
            )
        if "\x00" in checked[key]:
            raise BadRequestError(
                f"El valor de {key!r} no puede contener el carácter NUL (\\u0000)",
                field="variables_personalizadas",
            )
        if len(checked[key]) > MAX_VARIABLE_LENGTH:
            raise BadRequestError(
                f"El valor de {key!r} es demasiado largo (máximo {MAX_VARIABLE_LENGTH} caracteres)",
                field="variables_personalizadas",
            )
    if len({key.upper() for key in checked}) != len(checked):
        raise BadRequestError(
            "Dos variables solo difieren en mayúsculas y darían la misma VAR_LOCAL_",
            field="variables_personalizadas",
        )
    return checked


async def _organization_ref(
    session: AsyncSession, organization: Organization
) -> tuple[scripts.OrganizationRef, list[scripts.OrganizationRef]]:
    others = [
        scripts.OrganizationRef(o.slug, o.database_name)
        for o in await repository.all_organizations(session)
        if o.id != organization.id
    ]
    return scripts.OrganizationRef(organization.slug, organization.database_name), others


async def resolve_script(
    session: AsyncSession, settings: Settings, organization: Organization, script_path: str
) -> Path:
    own, others = await _organization_ref(session, organization)
    try:
        return scripts.resolve(settings.automations_dir, script_path, own, others)
    except scripts.ScriptError as exc:
        raise BadRequestError(str(exc), field="script_path") from None


async def check_script(
    session: AsyncSession, settings: Settings, organization: Organization, script_path: str
) -> str:
    await resolve_script(session, settings, organization, script_path)
    return str(PurePosixPath(script_path.replace("\\", "/")))


def script_metadata(path: Path) -> dict[str, Any] | None:
    try:
        return metadata.parse(path)
    except metadata.MetadataError as exc:
        raise BadRequestError(
            f"El bloque @SAT_METADATA de {path.name} es inválido: {exc}", field="script_path"
        ) from None


async def check_required_variables(
    session: AsyncSession, settings: Settings, organization: Organization, automation: Automation
) -> None:
    """A script that declares required variables cannot be scheduled without them."""
    path = await resolve_script(session, settings, organization, automation.script_path)
    missing = metadata.missing_variables(script_metadata(path), automation.variables)
    if missing:
        raise BadRequestError(
            f"Faltan variables requeridas por el script: {', '.join(missing)}",
            field="variables_personalizadas",
        )


def reschedule(automation: Automation, settings: Settings, now: datetime) -> None:
    """The next tick from now: edits take effect at once, with no reload."""
    automation.next_run_at = (
        schedule.next_after(automation.cron_expression, now, settings.timezone)
        if automation.active
        else None
    )


# --- managing ----------------------------------------------------------------------------------


async def list_automations(
    session: AsyncSession, organization_id: int
) -> list[repository.AutomationRow]:
    return await repository.list_with_stats(session, organization_id)


async def create(
    session: AsyncSession,
    settings: Settings,
    access: OrganizationAccess,
    principal: AccountPrincipal,
    changes: AutomationChanges,
    now: datetime,
) -> Automation:
    organization = access.organization
    if changes.name is None or changes.script_path is None or changes.cron_expression is None:
        raise BadRequestError("nombre, script_path y cron_expresion son obligatorios")
    name = check_name(changes.name)
    automation = Automation(
        organization_id=organization.id,
        name=name,
        description=changes.description,
        script_path=await check_script(session, settings, organization, changes.script_path),
        cron_expression=check_cron(changes.cron_expression),
        active=bool(changes.active),
        variables=check_variables(changes.variables or {}),
        timeout_seconds=changes.timeout_seconds or settings.automation_timeout_seconds,
        created_by_account_id=principal.account_id,
    )
    if await repository.name_taken(session, organization.id, name):
        raise ConflictError(f"Ya existe una automatización llamada {name}", field="nombre")
    await check_required_variables(session, settings, organization, automation)
    reschedule(automation, settings, now)
    repository.add(session, automation)
    await session.flush()
    return automation


async def get(session: AsyncSession, organization_id: int, automation_id: int) -> Automation:
    automation = await repository.get(session, organization_id, automation_id)
    if automation is None:
        raise NotFoundError("Automatización no encontrada")
    return automation


async def update(
    session: AsyncSession,
    settings: Settings,
    access: OrganizationAccess,
    automation_id: int,
    changes: AutomationChanges,
    now: datetime,
) -> Automation:
    organization = access.organization
    automation = await repository.get(session, organization.id, automation_id, lock=True)
    if automation is None:
        raise NotFoundError("Automatización no encontrada")
    if changes.name is not None:
        name = check_name(changes.name)
        if await repository.name_taken(session, organization.id, name, except_id=automation.id):
            raise ConflictError(f"Ya existe una automatización llamada {name}", field="nombre")
        automation.name = name
    if changes.description_given:
        automation.description = changes.description
    if changes.script_path is not None:
        automation.script_path = await check_script(
            session, settings, organization, changes.script_path
        )
    if changes.cron_expression is not None:
        automation.cron_expression = check_cron(changes.cron_expression)
    if changes.variables is not None:
        automation.variables = check_variables(changes.variables)  # replaces, as the contract
    if changes.active is not None:
        automation.active = changes.active
    if changes.timeout_seconds is not None:
        automation.timeout_seconds = changes.timeout_seconds
    touches_the_run = (changes.active, changes.script_path, changes.variables) != (None,) * 3
    if automation.active and touches_the_run:
        await check_required_variables(session, settings, organization, automation)
    reschedule(automation, settings, now)
    await session.flush()
    return automation


async def delete(session: AsyncSession, organization_id: int, automation_id: int) -> Automation:
    """Deletes it with its logs; refused while a run of it is queued or running."""
    automation = await repository.get(session, organization_id, automation_id, lock=True)
    if automation is None:
        raise NotFoundError("Automatización no encontrada")
    if await repository.has_open_run(session, automation.id):
        raise ConflictError("La automatización tiene una ejecución en curso; espera a que termine")
    await repository.remove(session, automation)
    await session.flush()
    return automation


async def creator_of(
    session: AsyncSession, automation: Automation
) -> tuple[str | None, str | None]:
    account = await repository.creator(session, automation.created_by_account_id)
    return (account.name, account.email) if account else (None, None)


# --- runs ----------------------------------------------------------------------------------------


async def start_manual(
    session: AsyncSession,
    access: OrganizationAccess,
    principal: AccountPrincipal,
    automation_id: int,
) -> AutomationRun:
    """Queues a run now, even for an inactive automation; 409 while one is queued or running."""
    automation = await repository.get(session, access.organization.id, automation_id, lock=True)
    if automation is None:
        raise NotFoundError("Automatización no encontrada")
    if await repository.has_open_run(session, automation.id):
        raise ConflictError("Ya hay una ejecución de esta automatización en curso")
    account = await auth_service.load_account(session, principal)
    run = AutomationRun(
        automation_id=automation.id,
        organization_id=automation.organization_id,
        execution_id=str(uuid.uuid4()),
        status="pendiente",
        scheduled=False,
        requested_by_account_id=account.id,
        requested_by_email=account.email,
        requested_by_name=account.name,
        timeout_seconds=automation.timeout_seconds,
    )
    repository.add_run(session, run)
    await session.flush()
    signal_after_commit(session, RUN_TASK, run.id)
    return run


async def logs(
    session: AsyncSession, organization_id: int, automation_id: int, limit: int
) -> tuple[list[AutomationRun], dict[str, Any]]:
    automation = await get(session, organization_id, automation_id)
    runs = await repository.runs(session, organization_id, automation.id, limit)
    return runs, await repository.run_stats(session, automation.id)


@dataclass(frozen=True)
class PreparedRun:
    run_id: int
    execution_id: str
    automation_id: int
    automation_name: str
    organization_id: int
    organization_name: str
    script: Path | None
    problem: str | None
    env: dict[str, str]
    timeout: int
    scheduled: bool
    started_at: datetime
    phases: tuple[dict[str, Any], ...] = ()


def environment(
    run: AutomationRun, automation: Automation, organization: Organization
) -> dict[str, str]:
    """A minimal environment: no secret of the service, only what the script needs."""
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    # Only the folder of the progress helper: `from sat_progress import SATProgress` works.
    env.update(
        PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8", PYTHONPATH=str(sandbox.shared_helpers())
    )
    for key, value in automation.variables.items():
        env[f"VAR_LOCAL_{key.upper()}"] = str(value)
    env.update(
        VAR_LOCAL_ORG=organization.name,
        VAR_LOCAL_DATABASE_NAME=organization.database_name,
        VAR_LOCAL_ADMIN_EMAIL=run.requested_by_email,
        VAR_LOCAL_AUTOMATIZACION_ID=str(automation.id),
        VAR_LOCAL_EXECUTION_ID=run.execution_id,
        VAR_LOCAL_LOG_ID=str(run.id),
        VAR_LOCAL_SCHEDULED="true" if run.scheduled else "false",
    )
    return env


async def _prepare(session: AsyncSession, settings: Settings, run_id: int) -> PreparedRun | None:
    run = await repository.claim_run(session, run_id)
    if run is None:
        return None  # taken by another worker, or closed
    automation = await session.get(Automation, run.automation_id)
    organization = await repository.organization(session, run.organization_id)
    assert automation is not None
    assert organization is not None
    own, others = await _organization_ref(session, organization)
    script: Path | None = None
    problem = None
    phases: tuple[dict[str, Any], ...] = ()
    try:  # again at run time: the file may have changed or gone since it was configured
        script = scripts.resolve(settings.automations_dir, automation.script_path, own, others)
        with contextlib.suppress(metadata.MetadataError):  # no phases: items ratio only
            phases = tuple((metadata.parse(script) or {}).get("fases", ()))
    except scripts.ScriptError as exc:
        problem = str(exc)
    assert run.started_at is not None
    return PreparedRun(
        run.id, run.execution_id, automation.id, automation.name, organization.id,
        organization.name, script, problem, environment(run, automation, organization),
        run.timeout_seconds, run.scheduled, run.started_at, phases,
    )  # fmt: skip


async def execute(database: Database, settings: Settings, redis: Redis, run_id: int) -> str:
    """Claim the run, run the script with no transaction open (its progress lines update the
    live status in Redis, a cancel request is checked twice a second), then record the
    outcome (and the failure email) in one transaction. Returns the final status."""
    async with database.unit_of_work() as session:
        prepared = await _prepare(session, settings, run_id)
    if prepared is None:
        return "skipped"
    running_ttl = prepared.timeout + 3600
    live = progress.LiveProgress(
        progress.initial_state(
            prepared.execution_id, prepared.organization_id, prepared.organization_name,
            prepared.started_at,
        ),
        list(prepared.phases),
        lambda state: progress.save_state(redis, state, running_ttl),
    )  # fmt: skip
    await _quietly(live.apply({"event": "log", "level": "info", "message": "Ejecución iniciada"}))

    async def cancelled_by() -> str | None:
        try:
            who = await redis.get(progress.cancel_key(prepared.execution_id))
        except (RedisError, OSError):
            return None  # Redis down: the run goes on; its time limit still holds
        return str(who) if who else None

    if prepared.script is None:
        result = RunResult("error", None, "", "No se pudo iniciar el script", prepared.problem, 0.0)
    else:
        log.info("[Scheduler] running %s (%s)", prepared.automation_name, prepared.execution_id)
        result = await run_script(
            scripts.interpreter(settings.automations_dir),
            prepared.script,
            cwd=settings.automations_dir.resolve(),
            env=prepared.env,
            time_limit=prepared.timeout,
            kill_grace=settings.automation_kill_grace_seconds,
            on_event=live.apply,
            cancelled_by=cancelled_by,
        )
    live = _finishing(live, redis)
    await _quietly(live.finish(result.status, result.error_message, result.cancelled))
    async with database.unit_of_work() as session:
        await record(session, settings, prepared, result, live.state)
    return result.status


def _finishing(live: progress.LiveProgress, redis: Redis) -> progress.LiveProgress:
    """The same state, now kept for a day after the run (the frontend reads it at the end)."""
    return progress.LiveProgress(
        live.state,
        [],
        lambda state: progress.save_state(redis, state, progress.FINISHED_TTL_SECONDS),
    )


async def _quietly(work: Awaitable[None]) -> None:
    """The live view is a courtesy: a Redis outage never fails a run over it."""
    try:
        await work
    except (RedisError, OSError):
        log.warning("could not update an execution's live status", exc_info=True)


async def record(
    session: AsyncSession,
    settings: Settings,
    prepared: PreparedRun,
    result: RunResult,
    live_state: dict[str, Any] | None = None,
) -> None:
    recorded = await repository.finish_run(
        session,
        prepared.run_id,
        {
            "status": result.status,
            "exit_code": result.exit_code,
            "output": result.output.replace("\x00", "\\u0000"),
            "message": result.message,
            "error_message": result.error_message,
            "duration_seconds": round(result.duration_seconds, 3),
            "progress": live_state,
        },
    )
    if not recorded:
        return  # closed meanwhile (the reaper): its outcome stands
    await repository.record_last_run(
        session, prepared.automation_id, result.status, datetime.now(settings.timezone)
    )
    if result.status == "error":
        error = result.error_message or result.message
        await notify_failure(session, settings, prepared, error, result.exit_code)


async def notify_failure(
    session: AsyncSession,
    settings: Settings,
    prepared: PreparedRun,
    error: str,
    exit_code: int | None = None,
) -> None:
    """Emails the organization's administrators, at most once per automation per period."""
    every = timedelta(seconds=settings.automation_failure_email_seconds)
    if not await repository.claim_failure_notice(session, prepared.automation_id, every):
        return
    recipients = await organization_repository.member_emails(
        session, prepared.organization_id, Role.ADMINISTRADOR
    )
    if not recipients:
        return
    content = automation_failure(
        automation=prepared.automation_name, organization=prepared.organization_name,
        execution_id=prepared.execution_id, started_at=prepared.started_at,
        zone=settings.timezone, exit_code=exit_code, error=error,
    )  # fmt: skip
    await email_service.enqueue(
        session, kind="automation_failure", recipients=recipients, subject=content.subject,
        text_body=content.text, html_body=content.html, organization_id=prepared.organization_id,
    )  # fmt: skip


async def close_abandoned(session: AsyncSession, settings: Settings) -> int:
    """The reaper: runs whose worker died are closed as errors once their time is up."""
    grace = timedelta(
        seconds=settings.automation_kill_grace_seconds + settings.automation_reaper_margin_seconds
    )
    closed = await repository.close_abandoned_runs(session, grace)
    for run in closed:
        automation = await session.get(Automation, run.automation_id)
        organization = await repository.organization(session, run.organization_id)
        if automation is None or organization is None:
            continue
        await repository.record_last_run(
            session, automation.id, "error", datetime.now(settings.timezone)
        )
        prepared = PreparedRun(
            run.id, run.execution_id, automation.id, automation.name, organization.id,
            organization.name, None, None, {}, run.timeout_seconds, run.scheduled,
            run.started_at or run.created_at,
        )  # fmt: skip
        await notify_failure(session, settings, prepared, run.error_message or "")
    return len(closed)


async def lost_runs(session: AsyncSession, settings: Settings) -> list[int]:
    """Runs queued whose signal was lost (Redis down, worker killed before it claimed)."""
    return await repository.pending_runs(
        session, timedelta(seconds=settings.outbox_grace_seconds), limit=500
    )


# --- the dispatcher ----------------------------------------------------------------------------


def _tick_values(
    automation: repository.DueAutomation, tick: datetime, status: str, message: str | None
) -> dict[str, Any]:
    return {
        "automation_id": automation.id,
        "organization_id": automation.organization_id,
        "execution_id": str(uuid.uuid4()),
        "status": status,
        "scheduled": True,
        "scheduled_for": tick,
        "requested_by_email": SCHEDULER,
        "timeout_seconds": automation.timeout_seconds,
        "message": message,
    }


async def dispatch(session: AsyncSession, settings: Settings, now: datetime) -> list[int]:
    """One pass over at most DISPATCH_BATCH due automations: record each tick once (run,
    skipped while the previous run is going, or missed when found too late), advance
    `next_run_at`, and return the runs to send once this transaction commits."""
    zone = settings.timezone
    grace = timedelta(seconds=settings.automation_misfire_grace_seconds)
    due = await repository.claim_due(session, now, DISPATCH_BATCH)
    if not due:
        return []
    running = await repository.open_run_ids(session, [a.id for a in due])
    ticks: list[dict[str, Any]] = []
    next_runs: dict[int, datetime | None] = {}
    for automation in due:
        first_due = automation.next_run_at
        assert first_due is not None
        following = _next(automation.cron_expression, first_due, zone)
        # Usually the tick that came due; after downtime, the latest one that has passed.
        tick = first_due
        if following is not None and following <= now:
            tick = schedule.latest_at_or_before(automation.cron_expression, now, zone) or first_due
            when = first_due.astimezone(zone).strftime("%d/%m/%Y %H:%M")
            missed = f"Ejecuciones programadas desde {when} no corrieron: programador detenido"
            ticks.append(_tick_values(automation, first_due, "perdida", missed))
            following = _next(automation.cron_expression, tick, zone)
        if now - tick > grace:
            ticks.append(_tick_values(automation, tick, "perdida", LATE))
        elif automation.id in running:
            ticks.append(_tick_values(automation, tick, "omitida", STILL_RUNNING))
        else:
            ticks.append(_tick_values(automation, tick, "pendiente", None))
        next_runs[automation.id] = following
    inserted = await repository.insert_ticks(session, ticks)
    await repository.advance(session, next_runs)
    return [run_id for run_id, status in inserted if status == "pendiente"]


LATE = "El programador no corrió a tiempo: se omite esta ejecución"
STILL_RUNNING = "La ejecución anterior seguía en curso"
# Runs go to the broker this many to a message (publishing one costs ~0.5 ms); the worker
# that takes a message hands the others on, one each, before it runs its own.
RUNS_PER_MESSAGE = 25


_next_cache: dict[tuple[str, datetime], datetime | None] = {}


def _next(expression: str, after: datetime, zone: Any) -> datetime | None:
    """Many automations share a schedule and a due time: compute each pair once per process."""
    key = (expression, after)
    if key not in _next_cache:
        if len(_next_cache) > 10_000:
            _next_cache.clear()
        _next_cache[key] = schedule.next_after(expression, after, zone)
    return _next_cache[key]


# --- the scheduler: state and control -------------------------------------------------------

DISPATCH_TASK = "automation.dispatch"


@dataclass(frozen=True)
class SchedulerState:
    running: bool
    everything_paused: bool
    organization_paused: bool
    last_check: datetime | None
    total_organizations: int
    total_tasks: int
    organization: Organization
    organization_ids: list[int]
    upcoming: list[Automation]
    all_organizations: list[tuple[str, int]] | None


def _is_superadmin(principal: AccountPrincipal, access: OrganizationAccess) -> bool:
    return principal.is_superadmin and access.role is None


async def scheduler_state(
    session: AsyncSession, access: OrganizationAccess, principal: AccountPrincipal
) -> SchedulerState:
    """What the scheduler does for the caller's organization; other organizations' names and
    counts only for a superadmin."""
    organization = access.organization
    paused_all = await repository.everything_paused(session)
    ids = await repository.scheduled_ids(session, organization.id)
    everyone = (
        await repository.organizations_with_tasks(session)
        if _is_superadmin(principal, access)
        else None
    )
    return SchedulerState(
        running=not paused_all and not organization.automations_paused,
        everything_paused=paused_all,
        organization_paused=organization.automations_paused,
        last_check=await repository.last_tick(session),
        total_organizations=len(everyone) if everyone is not None else 1,
        total_tasks=sum(count for _, count in everyone) if everyone is not None else len(ids),
        organization=organization,
        organization_ids=ids,
        upcoming=await repository.upcoming(session, organization.id, 10),
        all_organizations=everyone,
    )


async def control(
    session: AsyncSession,
    settings: Settings,
    access: OrganizationAccess,
    principal: AccountPrincipal,
    action: str,
    everything: bool,
    now: datetime,
) -> str:
    """iniciar / detener pause and resume the organization (everything, for a superadmin who
    asks); recargar recomputes its next runs and ticks now; recargar_todo does so for all."""
    organization = access.organization
    if (everything or action == "recargar_todo") and not _is_superadmin(principal, access):
        raise ForbiddenError(
            "Solo un superadministrador controla el programador de todas las organizaciones"
        )
    if action in ("iniciar", "detener"):
        paused = action == "detener"
        if everything:
            await repository.set_everything_paused(session, paused, principal.email)
        else:
            await repository.set_organization_paused(session, organization.id, paused)
            organization.automations_paused = paused
        if not paused:  # ticks that fell in a pause were not missed: start from now
            await _reschedule_all(session, settings, None if everything else organization.id, now)
        scope = "todas las organizaciones" if everything else organization.name
        return f"Programador {'detenido' if paused else 'iniciado'} para {scope}"
    target = None if action == "recargar_todo" else organization.id
    await _reschedule_all(session, settings, target, now)
    signal_after_commit(session, DISPATCH_TASK, "reload")
    return (
        "Automatizaciones de todas las organizaciones recargadas"
        if target is None
        else (f"Automatizaciones de {organization.name} recargadas")
    )


async def _reschedule_all(
    session: AsyncSession, settings: Settings, organization_id: int | None, now: datetime
) -> None:
    for automation in await repository.active_in(session, organization_id):
        reschedule(automation, settings, now)
    await session.flush()


# --- the catalogue ----------------------------------------------------------------------------


async def available_scripts(
    session: AsyncSession, settings: Settings, organization: Organization
) -> tuple[list[catalogue.Script], dict[str, int]]:
    """The scripts the organization may use, and which of its automations uses each."""
    own, others = await _organization_ref(session, organization)
    found = catalogue.discover(settings.automations_dir, own, others)
    used: dict[str, int] = {}
    for row in await repository.list_with_stats(session, organization.id):
        used.setdefault(row.automation.script_path, row.automation.id)
    return found, used


async def script_details(
    session: AsyncSession, settings: Settings, organization: Organization, script_path: str
) -> dict[str, Any] | None:
    """One script's metadata: 400 when it is not the organization's to use or malformed."""
    path = await resolve_script(session, settings, organization, script_path)
    return script_metadata(path)


# --- live status and cancel ---------------------------------------------------------------

LIVE_STATE_DOWN = "El estado en vivo no está disponible (Redis); inténtalo en un momento"


async def run_by_execution(
    session: AsyncSession, organization_id: int, execution_id: str
) -> AutomationRun:
    run = await repository.run_by_execution(session, organization_id, execution_id)
    if run is None:
        raise NotFoundError("Ejecución no encontrada")
    return run


async def live_status(
    session: AsyncSession, redis: Redis, access: OrganizationAccess, execution_id: str
) -> dict[str, Any]:
    """The live state while it is kept; after that (or after DELETE /status) the final state
    recorded in the log row."""
    run = await run_by_execution(session, access.organization.id, execution_id)
    state = None
    with contextlib.suppress(RedisError, OSError):
        state = await progress.load_state(redis, execution_id)
    if state is None:
        state = run.progress or progress.initial_state(
            run.execution_id, run.organization_id, access.organization.name, run.started_at
        )
        if run.status not in repository.OPEN_STATUSES and state.get("status") == "running":
            state["status"] = progress.LIVE_STATUS[run.status]
            state["error"] = state.get("error") or run.error_message
    state.pop("organization_id", None)
    return state


async def clear_status(
    session: AsyncSession, redis: Redis, access: OrganizationAccess, execution_id: str
) -> None:
    run = await run_by_execution(session, access.organization.id, execution_id)
    if run.status in repository.OPEN_STATUSES:
        raise ConflictError(
            "La ejecución sigue en curso; para detenerla usa DELETE /api/automatizaciones/ejecutar"
        )
    try:
        await redis.delete(progress.status_key(execution_id))
    except (RedisError, OSError):
        raise ServiceUnavailableError(LIVE_STATE_DOWN, headers={"Retry-After": "5"}) from None


async def cancel(
    session: AsyncSession,
    redis: Redis,
    access: OrganizationAccess,
    principal: AccountPrincipal,
    execution_id: str,
) -> str:
    """A queued run is closed at once; a running one is flagged for its worker, which ends the
    whole process group within the grace period. Returns the run's state now."""
    run = await run_by_execution(session, access.organization.id, execution_id)
    text = f"Ejecución cancelada por {principal.email}"
    if run.status == "pendiente":
        await repository.cancel_queued(session, run.id, text)
        state = progress.initial_state(
            run.execution_id, run.organization_id, access.organization.name, None
        )
        state.update(status="cancelled", error=text)
        with contextlib.suppress(RedisError, OSError):
            await progress.save_state(redis, state, progress.FINISHED_TTL_SECONDS)
        return "error"
    if run.status != "en_ejecucion":
        raise ConflictError(f"La ejecución ya terminó ({run.status})")
    ttl = run.timeout_seconds + 3600
    try:
        await redis.set(progress.cancel_key(execution_id), principal.email, ex=ttl)
    except (RedisError, OSError):
        raise ServiceUnavailableError(LIVE_STATE_DOWN, headers={"Retry-After": "5"}) from None
    return "cancelando"
