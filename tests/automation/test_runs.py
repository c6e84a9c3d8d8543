"""Real scripts run by the real worker: outcomes, timeouts, output limits, environment."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from clockify_tracker.config import Settings
from clockify_tracker.kit.db import Database
from clockify_tracker.models import EmailMessage
from tests.automation.conftest import BASE, create
from tests.support.polling import eventually

pytestmark = pytest.mark.usefixtures("celery_worker")


async def run(client: httpx.AsyncClient, automation_id: int) -> dict[str, Any]:
    response = await client.post(f"{BASE}/ejecutar", json={"id_automatizacion": automation_id})
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Ejecución iniciada"
    started: dict[str, Any] = response.json()["data"]
    return started


async def finished(client: httpx.AsyncClient, automation_id: int) -> dict[str, Any] | None:
    body = (await client.get(f"{BASE}/logs", params={"id_automatizacion": automation_id})).json()[
        "data"
    ]
    logs = body["logs"]
    if logs and logs[0]["estado"] not in ("pendiente", "en_ejecucion"):
        return body
    return None


async def outcome(client: httpx.AsyncClient, automation_id: int, within: float = 30) -> Any:
    return await eventually(lambda: finished(client, automation_id), within=within)


def alive(pid: int) -> bool:
    """Running, not a zombie (a reaped or a zombie process has ended)."""
    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" not in status.read_text()
    except FileNotFoundError:
        return False


async def test_a_successful_run_is_logged_with_its_output_and_counted(
    alfa_admin: httpx.AsyncClient,
) -> None:
    created = await create(alfa_admin, activo=False)

    started = await run(alfa_admin, created["id"])
    body = await outcome(alfa_admin, created["id"])

    (log,) = body["logs"]
    assert log["execution_id"] == started["execution_id"]
    assert log["id"] == started["log_id"]
    assert log["estado"] == "exitoso"
    assert log["mensaje"] == "Ejecución completada exitosamente"
    assert log["output"].strip() == "sincronización terminada: 3 archivos"
    assert log["codigo_salida"] == 0
    assert log["es_programado"] is False
    assert log["ejecutado_por_correo"] == "admin@alfa.example"
    assert log["fecha_inicio"] is not None
    assert log["duracion_segundos"] >= 0
    assert body["estadisticas"]["total"] == 1
    assert body["estadisticas"]["exitosos"] == 1
    (listed,) = (await alfa_admin.get(BASE)).json()["data"]["automatizaciones"]
    assert listed["ultima_estado"] == "exitoso"
    assert listed["ultima_ejecucion"] is not None
    assert (listed["total_ejecuciones"], listed["ejecuciones_exitosas"]) == (1, 1)


async def test_stderr_with_exit_zero_is_a_warning(alfa_admin: httpx.AsyncClient) -> None:
    created = await create(alfa_admin, script_path="aviso.py")
    await run(alfa_admin, created["id"])
    (log,) = (await outcome(alfa_admin, created["id"]))["logs"]
    assert log["estado"] == "advertencia"
    assert "aviso: 2 registros sin RFC" in log["output"]


async def test_a_failing_script_is_an_error_and_emails_the_administrators_once_an_hour(
    alfa_admin: httpx.AsyncClient, db: Database
) -> None:
    created = await create(alfa_admin, script_path="falla.py")

    await run(alfa_admin, created["id"])
    first = await outcome(alfa_admin, created["id"])
    await run(alfa_admin, created["id"])
    second = await eventually(lambda: _logged(alfa_admin, created["id"], 2), within=30)

    log = first["logs"][0]
    assert log["estado"] == "error"
    assert log["codigo_salida"] == 3
    assert log["error_mensaje"] == "error: no se pudo conectar al SAT"
    assert second["estadisticas"]["errores"] == 2
    async with db.unit_of_work() as session:
        emails = list(await session.scalars(
            select(EmailMessage).where(EmailMessage.kind == "automation_failure")
        ))  # fmt: skip
    assert len(emails) == 1, "at most one failure email per automation per hour"
    assert emails[0].recipients == ["admin@alfa.example"]
    assert emails[0].subject.startswith("Automatización con error - prod_sincronizacion_diaria")
    assert "Código de salida: 3" in emails[0].text_body
    assert "error: no se pudo conectar al SAT" in emails[0].text_body


async def _logged(client: httpx.AsyncClient, automation_id: int, count: int) -> Any:
    body = await finished(client, automation_id)
    return body if body and len(body["logs"]) >= count else None


async def test_a_run_past_its_time_limit_is_ended_with_its_whole_process_group(
    alfa_admin: httpx.AsyncClient, exchange: Path
) -> None:
    pids_file = exchange / "pids"
    created = await create(alfa_admin, script_path="lento.py", timeout_segundos=2,
                           variables_personalizadas={"pids": str(pids_file)})  # fmt: skip

    await run(alfa_admin, created["id"])
    (log,) = (await outcome(alfa_admin, created["id"]))["logs"]

    assert log["estado"] == "error"
    assert log["mensaje"].startswith("Se superó el tiempo límite")
    assert "esperando" in log["output"]
    script, child = (int(pid) for pid in pids_file.read_text().split())
    assert not alive(script), "the script ignored SIGTERM and was killed"
    assert not alive(child), "its child in the same group is gone too"


async def test_huge_output_keeps_the_last_50000_characters_with_a_marker(
    alfa_admin: httpx.AsyncClient,
) -> None:
    created = await create(alfa_admin, script_path="mucho.py")
    await run(alfa_admin, created["id"])
    (log,) = (await outcome(alfa_admin, created["id"]))["logs"]

    assert log["estado"] == "exitoso"
    output = log["output"]
    marker, _, kept = output.partition("\n")
    assert marker.startswith("[…")
    assert "omitidos" in marker
    assert len(kept) == 50_000
    assert kept.rstrip().endswith("FIN DEL REPORTE")


async def test_the_script_gets_its_variables_and_none_of_the_services_secrets(
    alfa_admin: httpx.AsyncClient,
) -> None:
    created = await create(alfa_admin, script_path="entorno.py",
                           variables_personalizadas={"rfc": "ABC123", "dias": 3})  # fmt: skip
    started = await run(alfa_admin, created["id"])
    (log,) = (await outcome(alfa_admin, created["id"]))["logs"]

    env = json.loads(log["output"])
    assert {k: v for k, v in env.items() if k.startswith("VAR_LOCAL_")} == {
        "VAR_LOCAL_ORG": "Alfa Industrias",
        "VAR_LOCAL_DATABASE_NAME": "org_alfa_industrias",
        "VAR_LOCAL_ADMIN_EMAIL": "admin@alfa.example",
        "VAR_LOCAL_AUTOMATIZACION_ID": str(created["id"]),
        "VAR_LOCAL_EXECUTION_ID": started["execution_id"],
        "VAR_LOCAL_LOG_ID": str(started["log_id"]),
        "VAR_LOCAL_SCHEDULED": "false",
        "VAR_LOCAL_RFC": "ABC123",
        "VAR_LOCAL_DIAS": "3",
    }
    others = {k for k in env if not k.startswith("VAR_LOCAL_")}
    helpers = Path(env["PYTHONPATH"])
    names = await asyncio.to_thread(lambda: sorted(p.name for p in helpers.iterdir()))
    assert names == ["sat_progress.py"], "only the progress helper"
    allowed = {"PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONUNBUFFERED", "PYTHONIOENCODING"}
    assert others <= {*allowed, "PYTHONPATH"}, others
    settings = Settings()
    for secret in settings.secret_values():
        assert secret not in log["output"]


async def test_a_second_run_while_one_is_queued_or_running_is_409_and_so_is_delete(
    alfa_admin: httpx.AsyncClient, exchange: Path
) -> None:
    created = await create(alfa_admin, script_path="lento.py", timeout_segundos=3,
                           variables_personalizadas={"pids": str(exchange / "pids")})  # fmt: skip
    await run(alfa_admin, created["id"])

    again = await alfa_admin.post(f"{BASE}/ejecutar", json={"automatizacion_id": created["id"]})
    deleted = await alfa_admin.request("DELETE", BASE, json={"id_automatizacion": created["id"]})

    assert again.status_code == 409
    assert again.json()["message"] == "Ya hay una ejecución de esta automatización en curso"
    assert deleted.status_code == 409
    await outcome(alfa_admin, created["id"])  # let it end before the next test truncates


async def test_a_script_removed_after_it_was_configured_fails_with_a_clear_error(
    alfa_admin: httpx.AsyncClient, db: Database
) -> None:
    created = await create(alfa_admin)
    async with db.unit_of_work() as session:
        from clockify_tracker.models import Automation

        row = await session.get(Automation, created["id"])
        assert row is not None
        row.script_path = "ya_no_existe.py"
    await run(alfa_admin, created["id"])
    (log,) = (await outcome(alfa_admin, created["id"]))["logs"]
    assert log["estado"] == "error"
    assert log["error_mensaje"] == "El script no existe o no está disponible para esta organización"
    assert await _count_emails(db) == 1


async def _count_emails(db: Database) -> int:
    async with db.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(EmailMessage)) or 0)


def _pids(path: Path) -> list[int]:
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


async def _written(path: Path) -> list[int]:
    return _pids(path)


async def test_a_run_ends_with_its_script_and_takes_even_its_setsid_children_along(
    alfa_admin: httpx.AsyncClient, exchange: Path
) -> None:
    pids_file = exchange / "pids"
    created = await create(alfa_admin, script_path="hijos.py",
                           variables_personalizadas={"pids": str(pids_file)})  # fmt: skip

    await run(alfa_admin, created["id"])
    # Two children sleep 300 s holding stdout; the run must not wait for them (nor 5 s).
    (log,) = (await outcome(alfa_admin, created["id"], within=15))["logs"]

    assert log["estado"] == "exitoso"
    assert log["output"].strip() == "hijos iniciados"
    assert log["duracion_segundos"] < 4
    escaped, grouped = _pids(pids_file)
    assert not alive(escaped), "the child that left with setsid is gone"
    assert not alive(grouped), "the child in the script's group is gone"


async def test_cancel_ends_the_script_and_its_setsid_child(
    alfa_admin: httpx.AsyncClient, exchange: Path
) -> None:
    pids_file = exchange / "pids"
    created = await create(alfa_admin, script_path="hijo_terco.py",
                           variables_personalizadas={"pids": str(pids_file)})  # fmt: skip
    started = await run(alfa_admin, created["id"])
    script, escaped = await eventually(lambda: _written(pids_file), within=20)

    cancelled = await alfa_admin.request(
        "DELETE", f"{BASE}/ejecutar", json={"execution_id": started["execution_id"]}
    )
    (log,) = (await outcome(alfa_admin, created["id"]))["logs"]

    assert cancelled.status_code == 200
    assert log["estado"] == "error"
    assert log["mensaje"] == "Ejecución cancelada por admin@alfa.example"
    assert not alive(script)
    assert not alive(escaped), "the setsid child that ignores SIGTERM was killed too"


async def test_the_time_limit_ends_the_script_and_its_setsid_child(
    alfa_admin: httpx.AsyncClient, exchange: Path
) -> None:
    pids_file = exchange / "pids"
    created = await create(alfa_admin, script_path="hijo_terco.py", timeout_segundos=2,
                           variables_personalizadas={"pids": str(pids_file)})  # fmt: skip

    await run(alfa_admin, created["id"])
    (log,) = (await outcome(alfa_admin, created["id"]))["logs"]

    assert log["estado"] == "error"
    assert log["mensaje"].startswith("Se superó el tiempo límite")
    script, escaped = _pids(pids_file)
    assert not alive(script)
    assert not alive(escaped), "the setsid child that ignores SIGTERM was killed too"
