"""Every SQL statement of automations. Tenant filters live here: every read takes the
organization it is for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.automation.schedule import MANUAL
from clockify_tracker.models import (
    Account,
    Automation,
    AutomationRun,
    Organization,
    PlatformFlag,
)

PAUSE_ALL = "automations_paused"
OPEN_STATUSES = ("pendiente", "en_ejecucion")
# Ticks not run count as neither executions nor failures.
NOT_RUN = ("omitida", "perdida")


def _listed() -> ColumnElement[bool]:
    """Only `prod_` automations exist for the API, the scheduler and the runner."""
    return Automation.name.startswith("prod_", autoescape=True)


def _on_a_schedule() -> ColumnElement[bool]:
    """Active, listed, with a next run and not manual-only: what the scheduler fires. A manual
    automation never gets a next run; it is also excluded by its `manual` schedule, so a stale
    `next_run_at` (a hand-written row, say) can never make it tick."""
    return (
        Automation.active.is_(True)
        & Automation.next_run_at.is_not(None)
        & (Automation.cron_expression != MANUAL)
        & _listed()
    )


@dataclass(frozen=True)
class AutomationRow:
    automation: Automation
    creator_name: str | None
    creator_email: str | None
    total: int
    succeeded: int
    failed: int


def _counted(*statuses: str) -> Any:
    return func.count().filter(AutomationRun.status.in_(statuses))


async def list_with_stats(session: AsyncSession, organization_id: int) -> list[AutomationRow]:
    stats = (
        select(
            AutomationRun.automation_id,
            func.count().filter(AutomationRun.status.not_in(NOT_RUN)).label("total"),
            _counted("exitoso").label("succeeded"),
            _counted("error").label("failed"),
        )
        .where(AutomationRun.organization_id == organization_id)
        .group_by(AutomationRun.automation_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            Automation,
            Account.name,
            Account.email,
            func.coalesce(stats.c.total, 0),
            func.coalesce(stats.c.succeeded, 0),
            func.coalesce(stats.c.failed, 0),
        )
        .outerjoin(Account, Account.id == Automation.created_by_account_id)
        .outerjoin(stats, stats.c.automation_id == Automation.id)
        .where(Automation.organization_id == organization_id, _listed())
        .order_by(Automation.id)
    )
    return [AutomationRow(*row) for row in rows]


async def get(
    session: AsyncSession, organization_id: int, automation_id: int, *, lock: bool = False
) -> Automation | None:
    query = select(Automation).where(
        Automation.id == automation_id, Automation.organization_id == organization_id, _listed()
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def name_taken(
    session: AsyncSession, organization_id: int, name: str, except_id: int | None = None
) -> bool:
    query = select(Automation.id).where(
        Automation.organization_id == organization_id, Automation.name == name
    )
    if except_id is not None:
        query = query.where(Automation.id != except_id)
    return (await session.scalar(query)) is not None


def add(session: AsyncSession, automation: Automation) -> None:
    session.add(automation)


async def remove(session: AsyncSession, automation: Automation) -> None:
    await session.delete(automation)


async def has_open_run(session: AsyncSession, automation_id: int) -> bool:
    query = select(
        exists().where(
            AutomationRun.automation_id == automation_id,
            AutomationRun.status.in_(OPEN_STATUSES),
        )
    )
    return bool(await session.scalar(query))


async def creator(session: AsyncSession, account_id: int | None) -> Account | None:
    return await session.get(Account, account_id) if account_id else None


# --- runs ------------------------------------------------------------------------------------


def add_run(session: AsyncSession, run: AutomationRun) -> None:
    session.add(run)


async def insert_ticks(session: AsyncSession, rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """The ticks' runs, less those recorded already (another dispatcher, a retried
    transaction): (run id, status) of the ones inserted. Sent as executemany, which
    SQLAlchemy batches into multi-row INSERTs from one cached compilation."""
    if not rows:
        return []
    result = await session.execute(
        insert(AutomationRun)
        .on_conflict_do_nothing(
            index_elements=["automation_id", "scheduled_for"],
            index_where=AutomationRun.scheduled_for.is_not(None),
        )
        .returning(AutomationRun.id, AutomationRun.status),
        rows,
    )
    return [(run_id, status) for run_id, status in result]


_ADVANCE = text(
    "UPDATE automation AS a SET next_run_at = v.next_run_at, updated_at = now()"
    " FROM unnest(CAST(:ids AS bigint[]), CAST(:next_runs AS timestamptz[]))"
    " AS v(id, next_run_at) WHERE a.id = v.id"
)


async def advance(session: AsyncSession, next_runs: dict[int, datetime | None]) -> None:
    """Every claimed automation's next run, in one statement."""
    if next_runs:
        await session.execute(
            _ADVANCE, {"ids": list(next_runs), "next_runs": list(next_runs.values())}
        )


async def runs(
    session: AsyncSession, organization_id: int, automation_id: int, limit: int
) -> list[AutomationRun]:
    result = await session.scalars(
        select(AutomationRun)
        .where(
            AutomationRun.automation_id == automation_id,
            AutomationRun.organization_id == organization_id,
        )
        .order_by(AutomationRun.created_at.desc(), AutomationRun.id.desc())
        .limit(limit)
    )
    return list(result)


async def run_stats(session: AsyncSession, automation_id: int) -> dict[str, Any]:
    row = (
        await session.execute(
            select(
                func.count().filter(AutomationRun.status.not_in(NOT_RUN)),
                _counted("exitoso"),
                _counted("error"),
                _counted("advertencia"),
                func.avg(AutomationRun.duration_seconds).filter(
                    AutomationRun.duration_seconds.is_not(None)
                ),
            ).where(AutomationRun.automation_id == automation_id)
        )
    ).one()
    total, succeeded, failed, warnings, average = row
    return {
        "total": int(total),
        "exitosos": int(succeeded),
        "errores": int(failed),
        "advertencias": int(warnings),
        "duracion_promedio": round(float(average), 2) if average is not None else 0.0,
    }


async def claim_run(session: AsyncSession, run_id: int) -> AutomationRun | None:
    """pendiente -> en_ejecucion: the one worker that gets it runs it."""
    return await session.scalar(
        update(AutomationRun)
        .where(AutomationRun.id == run_id, AutomationRun.status == "pendiente")
        .values(status="en_ejecucion", started_at=func.now())
        .returning(AutomationRun)
    )


async def finish_run(session: AsyncSession, run_id: int, values: dict[str, Any]) -> bool:
    """Record the outcome unless someone (the reaper, a cancel) closed the run already."""
    result = await session.execute(
        update(AutomationRun)
        .where(AutomationRun.id == run_id, AutomationRun.status == "en_ejecucion")
        .values(**values, finished_at=func.now())
        .returning(AutomationRun.id)
    )
    return result.scalar() is not None


async def record_last_run(
    session: AsyncSession, automation_id: int, status: str, at: datetime
) -> None:
    await session.execute(
        update(Automation)
        .where(Automation.id == automation_id)
        .values(last_run_at=at, last_status=status)
    )


async def claim_failure_notice(session: AsyncSession, automation_id: int, every: timedelta) -> bool:
    """True for the first failure in `every`: the one that gets to send the email."""
    result = await session.execute(
        update(Automation)
        .where(
            Automation.id == automation_id,
            (Automation.failure_notified_at.is_(None))
            | (Automation.failure_notified_at < func.now() - every),
        )
        .values(failure_notified_at=func.now())
        .returning(Automation.id)
    )
    return result.scalar() is not None


async def pending_runs(session: AsyncSession, older_than: timedelta, limit: int) -> list[int]:
    result = await session.scalars(
        select(AutomationRun.id)
        .where(
            AutomationRun.status == "pendiente",
            AutomationRun.created_at < func.now() - older_than,
        )
        .order_by(AutomationRun.id)
        .limit(limit)
    )
    return list(result)


async def close_abandoned_runs(session: AsyncSession, grace: timedelta) -> list[AutomationRun]:
    """Runs still `en_ejecucion` after their timeout and the grace: their worker died."""
    result = await session.scalars(
        update(AutomationRun)
        .where(
            AutomationRun.status == "en_ejecucion",
            AutomationRun.started_at
            < func.now()
            - func.make_interval(0, 0, 0, 0, 0, 0, AutomationRun.timeout_seconds)
            - grace,
        )
        .values(
            status="error",
            finished_at=func.now(),
            message="La ejecución se interrumpió: el proceso que la corría terminó",
            error_message="El worker que ejecutaba el script dejó de responder; se cerró "
            "la ejecución después de su tiempo límite",
        )
        .returning(AutomationRun)
    )
    return list(result)


# --- the dispatcher --------------------------------------------------------------------------


@dataclass(frozen=True)
class DueAutomation:
    id: int
    organization_id: int
    cron_expression: str
    next_run_at: datetime
    timeout_seconds: int


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> list[DueAutomation]:
    """Due, scheduled (not manual-only) automations of organizations not paused (nor everything
    paused), locked; rows another dispatcher holds are skipped, it is dealing with them."""
    paused_all = select(PlatformFlag.enabled).where(PlatformFlag.name == PAUSE_ALL)
    result = await session.execute(
        select(
            Automation.id,
            Automation.organization_id,
            Automation.cron_expression,
            Automation.next_run_at,
            Automation.timeout_seconds,
        )
        .join(Organization, Organization.id == Automation.organization_id)
        .where(
            _on_a_schedule(),
            Automation.next_run_at <= now,
            Organization.automations_paused.is_(False),
            func.coalesce(paused_all.scalar_subquery(), False).is_(False),
        )
        .order_by(Automation.next_run_at)
        .limit(limit)
        .with_for_update(of=Automation, skip_locked=True)
    )
    # next_run_at <= now: never null here.
    return [DueAutomation(a, o, c, n, t) for a, o, c, n, t in result if n is not None]


async def open_run_ids(session: AsyncSession, automation_ids: list[int]) -> set[int]:
    result = await session.scalars(
        select(AutomationRun.automation_id)
        .where(
            AutomationRun.automation_id.in_(automation_ids),
            AutomationRun.status.in_(OPEN_STATUSES),
        )
        .distinct()
    )
    return set(result)


# --- the scheduler's state ---------------------------------------------------------------------


async def everything_paused(session: AsyncSession) -> bool:
    flag = await session.get(PlatformFlag, PAUSE_ALL)
    return bool(flag and flag.enabled)


async def set_everything_paused(session: AsyncSession, paused: bool, actor: str) -> None:
    await session.execute(
        insert(PlatformFlag)
        .values(name=PAUSE_ALL, enabled=paused, changed_by=actor)
        .on_conflict_do_update(
            index_elements=["name"],
            set_={"enabled": paused, "changed_by": actor, "changed_at": func.now()},
        )
    )


async def set_organization_paused(
    session: AsyncSession, organization_id: int, paused: bool
) -> None:
    await session.execute(
        update(Organization)
        .where(Organization.id == organization_id)
        .values(automations_paused=paused)
    )


async def scheduled_ids(session: AsyncSession, organization_id: int | None) -> list[int]:
    """Active automations with a next run: what the scheduler will fire."""
    query = select(Automation.id).where(_on_a_schedule())
    if organization_id is not None:
        query = query.where(Automation.organization_id == organization_id)
    return list(await session.scalars(query.order_by(Automation.id)))


async def organizations_with_tasks(session: AsyncSession) -> list[tuple[str, int]]:
    rows = await session.execute(
        select(Organization.slug, func.count(Automation.id))
        .join(Automation, Automation.organization_id == Organization.id)
        .where(_on_a_schedule())
        .group_by(Organization.slug)
        .order_by(Organization.slug)
    )
    return [(slug, int(count)) for slug, count in rows]


async def upcoming(session: AsyncSession, organization_id: int, limit: int) -> list[Automation]:
    return list(
        await session.scalars(
            select(Automation)
            .where(Automation.organization_id == organization_id, _on_a_schedule())
            .order_by(Automation.next_run_at)
            .limit(limit)
        )
    )


async def active_in(session: AsyncSession, organization_id: int | None) -> list[Automation]:
    query = select(Automation).where(Automation.active.is_(True), _listed())
    if organization_id is not None:
        query = query.where(Automation.organization_id == organization_id)
    return list(await session.scalars(query))


async def organization(session: AsyncSession, organization_id: int) -> Organization | None:
    return await session.get(Organization, organization_id)


async def all_organizations(session: AsyncSession) -> list[Organization]:
    return list(await session.scalars(select(Organization)))


LAST_TICK = "automations_last_tick"


async def record_tick(session: AsyncSession) -> None:
    await session.execute(
        insert(PlatformFlag)
        .values(name=LAST_TICK, enabled=True, changed_by=None)
        .on_conflict_do_update(index_elements=["name"], set_={"changed_at": func.now()})
    )


async def last_tick(session: AsyncSession) -> datetime | None:
    flag = await session.get(PlatformFlag, LAST_TICK)
    return flag.changed_at if flag else None


async def run_by_execution(
    session: AsyncSession, organization_id: int, execution_id: str
) -> AutomationRun | None:
    return await session.scalar(
        select(AutomationRun).where(
            AutomationRun.execution_id == execution_id,
            AutomationRun.organization_id == organization_id,
        )
    )


async def cancel_queued(session: AsyncSession, run_id: int, text: str) -> None:
    await session.execute(
        update(AutomationRun)
        .where(AutomationRun.id == run_id, AutomationRun.status == "pendiente")
        .values(status="error", message=text, error_message=text, finished_at=func.now())
    )
