"""Manual-only automations (`cron_expresion: "manual"`): valid on create and edit, no next run,
never ticked by the dispatcher, run with /ejecutar, and back on a schedule when given a cron.

The request bodies are the browser client's (AutomationsSection.tsx): its create form sends
`nombre`, `descripcion`, `script_path`, `cron_expresion` (and `variables_personalizadas` only when
some are set, `activo` never: it creates them off); its edit dialog sends `id_automatizacion`,
`descripcion`, `cron_expresion`; its switch sends `id_automatizacion`, `activo`; its run button
`id_automatizacion`. For "Manual" its create form sends `0 0 31 2 *` and its edit dialog
`manual`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, text

from clockify_tracker.automation.service import dispatch
from clockify_tracker.config import Settings
from clockify_tracker.models import Automation, AutomationRun
from tests.automation.conftest import BASE
from tests.fixtures.stack import Stack
from tests.support.factories import create_organization
from tests.support.polling import eventually

MX = ZoneInfo("America/Mexico_City")
MANUAL_ONLY = "Solo manual: no se ejecuta de forma programada"
INVALID = "Formato de expresión cron inválido"
# What the browser reads back for each automation, with the types it relies on
# (`interpretarCron(auto.cron_expresion)` calls `.split` on it, so it must be a string).
BROWSER_READS: dict[str, type | tuple[type, ...]] = {
    "id": int, "nombre": str, "nombre_display": str, "descripcion": (str, type(None)),
    "script_path": str, "cron_expresion": str, "activo": bool,
    "ultima_ejecucion": (str, type(None)), "ultima_estado": (str, type(None)),
    "total_ejecuciones": int, "ejecuciones_exitosas": int, "ejecuciones_error": int,
    "variables_personalizadas": dict,
}  # fmt: skip


def browser_create(cron_expresion: str) -> dict[str, Any]:
    """The create form's body for the general script `ok.py` (no metadata, no variables)."""
    return {
        "nombre": "prod_ok",
        "descripcion": "Automatización: ok",
        "script_path": "ok.py",
        "cron_expresion": cron_expresion,
    }


def browser_edit(automation: dict[str, Any], cron_expresion: str) -> dict[str, Any]:
    return {
        "id_automatizacion": automation["id"],
        "descripcion": automation["descripcion"],
        "cron_expresion": cron_expresion,
    }


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    data: dict[str, Any] = response.json()["data"]
    return data


async def listed(client: httpx.AsyncClient) -> dict[str, Any]:
    (only,) = ok(await client.get(BASE))["automatizaciones"]
    assert isinstance(only, dict)
    return only


def assert_manual(data: dict[str, Any]) -> None:
    assert data["cron_expresion"] == "manual"  # the client compares with === 'manual'
    assert data["proxima_ejecucion"] is None
    assert data["descripcion_cron"] == MANUAL_ONLY
    for field, kind in BROWSER_READS.items():
        assert isinstance(data[field], kind), (field, data[field])


async def active_scheduled(client: httpx.AsyncClient) -> dict[str, Any]:
    """What the browser makes: created off (its create form), then switched on."""
    created = ok(await client.post(BASE, json=browser_create("0 9 * * *")))
    switched = ok(
        await client.patch(BASE, json={"id_automatizacion": created["id"], "activo": True})
    )
    assert switched["proxima_ejecucion"] is not None
    return switched


@pytest.mark.parametrize("spelling", ["manual", "MANUAL", "  Manual  ", "\tmAnUaL\n"])
async def test_create_as_manual_stores_manual_with_no_next_run(
    alfa_admin: httpx.AsyncClient, spelling: str
) -> None:
    data = ok(await alfa_admin.post(BASE, json=browser_create(spelling)))

    assert_manual(data)
    assert data["activo"] is False
    assert_manual(await listed(alfa_admin))


async def test_the_browsers_create_as_manual_sends_a_cron_that_never_fires(
    alfa_admin: httpx.AsyncClient,
) -> None:
    data = ok(await alfa_admin.post(BASE, json=browser_create("0 0 31 2 *")))

    assert data["cron_expresion"] == "0 0 31 2 *"  # shown as "Ejecución manual" by the client
    assert data["proxima_ejecucion"] is None


async def test_patch_to_manual_clears_the_next_run_even_while_active(
    alfa_admin: httpx.AsyncClient,
) -> None:
    automation = await active_scheduled(alfa_admin)

    data = ok(await alfa_admin.patch(BASE, json=browser_edit(automation, "manual")))

    assert_manual(data)
    assert data["activo"] is True
    assert data["descripcion"] == "Automatización: ok"
    assert_manual(await listed(alfa_admin))
    scheduler = ok(await alfa_admin.get(f"{BASE}/scheduler"))["organizacion"]
    assert scheduler["automatizacionesIds"] == []
    assert scheduler["proximasEjecuciones"] == []
    # Switching it off and on again does not give it a schedule either.
    for activo in (False, True):
        toggled = await alfa_admin.patch(
            BASE, json={"id_automatizacion": automation["id"], "activo": activo}
        )
        assert_manual(ok(toggled))


async def test_patch_back_to_a_cron_computes_the_next_run_again(
    alfa_admin: httpx.AsyncClient,
) -> None:
    automation = await active_scheduled(alfa_admin)
    manual = ok(await alfa_admin.patch(BASE, json=browser_edit(automation, "MANUAL ")))
    assert manual["proxima_ejecucion"] is None

    # The client's "weekly" mode with its default days.
    weekly = "0 9 * * 1,2,3,4,5"
    data = ok(await alfa_admin.patch(BASE, json=browser_edit(manual, weekly)))

    assert data["cron_expresion"] == weekly
    assert data["descripcion_cron"].startswith("A las 09:00, sólo el lunes, martes")
    following = datetime.fromisoformat(data["proxima_ejecucion"]).astimezone(MX)
    assert (following.hour, following.minute, following.weekday() < 5) == (9, 0, True)
    assert following > datetime.now(UTC)
    scheduler = ok(await alfa_admin.get(f"{BASE}/scheduler"))["organizacion"]
    assert scheduler["automatizacionesIds"] == [automation["id"]]


@pytest.mark.parametrize(
    "value", ["", "   ", "manually", "manual 0", "manual *", "solo manual", "0 9 * *", "@daily"]
)
async def test_bad_values_are_still_the_cron_fields_400(
    alfa_admin: httpx.AsyncClient, value: str
) -> None:
    created = ok(await alfa_admin.post(BASE, json=browser_create("0 9 * * *")))

    responses = [
        await alfa_admin.post(BASE, json={**browser_create(value), "nombre": "prod_otra"}),
        await alfa_admin.patch(BASE, json=browser_edit(created, value)),
    ]

    for response in responses:
        assert response.status_code == 400, response.text
        # As before `manual` existed: the contract's envelope with the cron field's message,
        # and the field by its wire name where the envelope lists details.
        body = response.json()
        expected = {"success": False, "data": None, "message": INVALID, "error": INVALID}
        assert {key: body[key] for key in expected} == expected
        assert body.get("details", [{"field": "cron_expresion", "message": INVALID}]) == [
            {"field": "cron_expresion", "message": INVALID}
        ]
    unchanged = await listed(alfa_admin)
    assert (unchanged["id"], unchanged["cron_expresion"]) == (created["id"], "0 9 * * *")


async def test_the_dispatcher_never_ticks_a_manual_automation(stack: Stack) -> None:
    """Active, `prod_`, its organization running, and (for one of them, a row written by hand)
    even a `next_run_at` long past: only the cron automation beside them is dispatched."""
    organization = await create_organization(stack.db, "Alfa")
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(seconds=1)
    async with stack.db.unit_of_work() as session:
        await session.execute(
            text(
                "INSERT INTO automation (organization_id, name, script_path, cron_expression,"
                " active, next_run_at) VALUES"
                " (:org, 'prod_manual', 'ok.py', 'manual', true, NULL),"
                " (:org, 'prod_manual_stale', 'ok.py', 'manual', true, :stale),"
                " (:org, 'prod_cada_minuto', 'ok.py', '* * * * *', true, :due)"
            ),
            {"org": organization.id, "stale": now - timedelta(hours=1), "due": now},
        )

    queued: list[int] = []
    for _ in range(3):
        async with stack.db.unit_of_work() as session:
            queued += await dispatch(session, Settings(), now + timedelta(seconds=1))

    async with stack.db.unit_of_work() as session:
        ticked = list(
            await session.scalars(
                select(Automation.name).join(AutomationRun).order_by(AutomationRun.id)
            )
        )
        stale = await session.scalar(
            select(Automation.next_run_at).where(Automation.name == "prod_manual_stale")
        )
    assert len(queued) == 1
    assert ticked == ["prod_cada_minuto"]
    assert stale == now - timedelta(hours=1), "not claimed, so not even touched"


@pytest.mark.usefixtures("celery_worker")
async def test_ejecutar_runs_a_manual_automation_on_the_worker_and_logs_success(
    alfa_admin: httpx.AsyncClient,
) -> None:
    automation = await active_scheduled(alfa_admin)
    manual = ok(await alfa_admin.patch(BASE, json=browser_edit(automation, "manual")))

    started = ok(
        await alfa_admin.post(f"{BASE}/ejecutar", json={"id_automatizacion": manual["id"]})
    )

    async def finished() -> dict[str, Any] | None:
        params = {"id_automatizacion": manual["id"]}
        body = ok(await alfa_admin.get(f"{BASE}/logs", params=params))
        logs = body["logs"]
        return body if logs and logs[0]["estado"] not in ("pendiente", "en_ejecucion") else None

    body = await eventually(finished, within=30)
    assert body is not None
    (log,) = body["logs"]
    assert log["execution_id"] == started["execution_id"]
    assert (log["estado"], log["codigo_salida"], log["es_programado"]) == ("exitoso", 0, False)
    assert log["mensaje"] == "Ejecución completada exitosamente"
    assert log["output"].strip() == "sincronización terminada: 3 archivos"
    assert body["estadisticas"]["exitosos"] == 1
    after = await listed(alfa_admin)
    assert_manual(after)
    assert after["ultima_estado"] == "exitoso"
    assert (after["total_ejecuciones"], after["ejecuciones_exitosas"]) == (1, 1)
