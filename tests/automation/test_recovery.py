"""Runs are never left hanging: a run whose worker died is closed as an error once its time is
up, and a queued run whose message was lost is sent again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from clockify_tracker.automation.service import close_abandoned
from clockify_tracker.config import Settings
from clockify_tracker.kit.db import Database
from clockify_tracker.models import Automation, AutomationRun, EmailMessage
from tests.automation.conftest import Tenants
from tests.support.polling import eventually


async def automation_with_run(
    db: Database, tenants: Tenants, name: str = "prod_cierre", **run: Any
) -> tuple[Automation, AutomationRun]:
    async with db.unit_of_work() as session:
        automation = Automation(
            organization_id=tenants.alfa.id, name=name, script_path="ok.py",
            cron_expression="0 9 * * *",
        )  # fmt: skip
        session.add(automation)
        await session.flush()
        row = AutomationRun(
            automation_id=automation.id, organization_id=tenants.alfa.id,
            execution_id=str(uuid.uuid4()), requested_by_email="admin@alfa.example",
            timeout_seconds=600, **run,
        )  # fmt: skip
        session.add(row)
        await session.flush()
        return automation, row


async def status_of(db: Database, run_id: int) -> AutomationRun:
    async with db.unit_of_work() as session:
        row = await session.get(AutomationRun, run_id)
    assert row is not None
    return row


async def test_a_run_whose_worker_died_is_closed_as_an_error_after_its_time_limit(
    db: Database, tenants: Tenants
) -> None:
    now = datetime.now(UTC)
    automation, abandoned = await automation_with_run(
        db, tenants, status="en_ejecucion", started_at=now - timedelta(minutes=20)
    )
    _, recent = await automation_with_run(
        db, tenants, "prod_reciente", status="en_ejecucion", started_at=now - timedelta(minutes=2)
    )

    async with db.unit_of_work() as session:
        closed = await close_abandoned(session, Settings())

    assert closed == 1
    row = await status_of(db, abandoned.id)
    assert row.status == "error"
    assert row.finished_at is not None
    assert "dejó de responder" in (row.error_message or "")
    assert (await status_of(db, recent.id)).status == "en_ejecucion", "still within its time"
    async with db.unit_of_work() as session:
        refreshed = await session.get(Automation, automation.id)
        emails = list(await session.scalars(select(EmailMessage)))
    assert refreshed is not None
    assert refreshed.last_status == "error"
    assert [(e.kind, e.recipients) for e in emails] == [
        ("automation_failure", ["admin@alfa.example"])
    ]


@pytest.mark.usefixtures("celery_worker")
async def test_a_queued_run_whose_message_was_lost_is_sent_again_and_runs(
    db: Database, tenants: Tenants
) -> None:
    _, queued = await automation_with_run(db, tenants, status="pendiente")  # never signalled

    async def done() -> AutomationRun | None:
        row = await status_of(db, queued.id)
        return row if row.status not in ("pendiente", "en_ejecucion") else None

    row = await eventually(done, within=30)
    assert row.status == "exitoso"
    assert "sincronización terminada" in (row.output or "")
