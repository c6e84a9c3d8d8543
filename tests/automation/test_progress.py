"""Live progress and cancel, end to end: a script in a temporary AUTOMATIONS_DIR reports its
phases through sat_progress, a real worker runs it, and /status follows it; a stubborn script
is cancelled with its whole process group. On a stack of its own, so the scripts folder is
this test's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from clockify_tracker.config import Settings
from clockify_tracker.main import create_app
from tests.automation.test_runs import alive
from tests.fixtures.app import client_for
from tests.fixtures.stack import Stack
from tests.support.factories import create_account, create_organization, login
from tests.support.polling import eventually

pytestmark = pytest.mark.slow

BASE = "/api/automatizaciones"
PHASED = '''"""Proceso por fases.

@SAT_METADATA
nombre: Proceso por fases
fases:
  - id: recopilacion
    nombre: Recopilación
  - id: generacion
    nombre: Generación
    peso: 3
@END_SAT_METADATA
"""
import os, pathlib, time
from sat_progress import SATProgress

gate = pathlib.Path(os.environ["VAR_LOCAL_GATE"])

def wait_for(name):
    while not (gate / name).exists():
        time.sleep(0.05)

p = SATProgress()
p.start_phase("recopilacion")
p.progress(5, 10)
p.message("info", "5 de 10 CFDI descargados")
wait_for("uno")
p.complete_phase()
p.start_phase("Generación")  # by name: matched to its id
p.progress(1, 4)
wait_for("dos")
p.progress(4, 4)
p.complete_phase()
print("listo")
p.finish("150 registros")
'''
STUBBORN = """import os, pathlib, signal, subprocess, sys, time
from sat_progress import SATProgress

child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
pathlib.Path(os.environ["VAR_LOCAL_PIDS"]).write_text(f"{os.getpid()} {child.pid}")
signal.signal(signal.SIGTERM, signal.SIG_IGN)
SATProgress().start_phase("espera")
time.sleep(600)
"""


@pytest.fixture
def scripts_dir(exchange: Path) -> Path:
    folder = exchange / "automations"
    folder.mkdir()
    (folder / "fases.py").write_text(PHASED)
    (folder / "terco.py").write_text(STUBBORN)
    return folder


@pytest.fixture
async def admin(stack: Stack, scripts_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    alfa = await create_organization(stack.db, "Alfa Industrias")
    await create_account(stack.db, "admin@alfa.example", organization=alfa)
    settings = Settings.model_validate(
        {"DATABASE_URL": stack.database_url, "redis_url": stack.redis.url,
         "automations_dir": str(scripts_dir)}
    )  # fmt: skip
    async for client in client_for(create_app(settings)):
        assert (await login(client, "admin@alfa.example")).status_code == 200
        yield client


async def start(client: httpx.AsyncClient, script: str, variables: dict[str, str]) -> str:
    created = await client.post(BASE, json={
        "nombre": f"prod_{script}", "script_path": f"{script}.py", "cron_expresion": "0 0 31 2 *",
        "variables_personalizadas": variables,
    })  # fmt: skip
    assert created.status_code == 200, created.text
    run = await client.post(
        f"{BASE}/ejecutar", json={"id_automatizacion": created.json()["data"]["id"]}
    )
    execution_id: str = run.json()["data"]["execution_id"]
    return execution_id


async def status(client: httpx.AsyncClient, execution_id: str) -> dict[str, Any]:
    response = await client.get(f"{BASE}/status", params={"execution_id": execution_id})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()["data"]
    return body


def when(client: httpx.AsyncClient, execution_id: str, check: Any) -> Any:
    async def probe() -> dict[str, Any] | None:
        current = await status(client, execution_id)
        return current if check(current) else None

    return eventually(probe, within=30)


async def test_status_follows_the_phases_of_a_running_script_to_the_end(
    stack: Stack, admin: httpx.AsyncClient, scripts_dir: Path, exchange: Path
) -> None:
    gate = exchange / "gate"
    gate.mkdir()
    execution_id = await start(admin, "fases", {"gate": str(gate)})
    worker = stack.worker({"AUTOMATIONS_DIR": str(scripts_dir)})
    try:
        first = await when(admin, execution_id, lambda s: (s["current_phase"] or {}).get("id")
                           == "recopilacion" and s["progress"]["items_processed"] == 5)  # fmt: skip
        busy = await admin.request(
            "DELETE", f"{BASE}/status", params={"execution_id": execution_id}
        )
        (gate / "uno").touch()
        second = await when(admin, execution_id, lambda s: (s["current_phase"] or {}).get("id")
                            == "generacion" and s["progress"]["items_processed"] == 1)  # fmt: skip
        (gate / "dos").touch()
        final = await when(admin, execution_id, lambda s: s["status"] != "running")
    finally:
        worker.stop()

    assert first["status"] == "running"
    assert first["organizacion"] == "Alfa Industrias"
    assert first["current_phase"]["nombre"] == "Recopilación"
    assert first["progress"] == {"percentage": 12, "items_processed": 5, "items_total": 10}
    assert "5 de 10 CFDI descargados" in [m["message"] for m in first["messages"]]
    assert busy.status_code == 409
    assert second["phases_completed"] == ["recopilacion"]
    assert second["progress"]["percentage"] == 44, "(1 + 3 x 1/4) of 4 weights"
    assert second["progress"]["percentage"] > first["progress"]["percentage"]
    assert final["status"] == "completed"
    assert final["progress"]["percentage"] == 100
    assert final["phases_completed"] == ["recopilacion", "generacion"]
    assert final["current_phase"] is None
    assert "150 registros" in [m["message"] for m in final["messages"]]
    logs = (await admin.get(f"{BASE}/logs", params={"id_automatizacion": 1})).json()["data"]
    (log,) = logs["logs"]
    assert log["estado"] == "exitoso"
    assert log["output"].strip() == "listo", "progress lines stay out of the stored output"

    cleared = await admin.request("DELETE", f"{BASE}/status", params={"execution_id": execution_id})
    after = await status(admin, execution_id)
    assert cleared.json()["message"] == "Estado eliminado"
    assert after["status"] == "completed", "the final state stays in the log row"
    assert after["phases_completed"] == ["recopilacion", "generacion"]


async def test_cancel_ends_the_whole_process_group_and_records_who(
    stack: Stack, admin: httpx.AsyncClient, scripts_dir: Path, exchange: Path
) -> None:
    queued = await start(admin, "fases", {"gate": str(exchange)})
    queued_cancel = await admin.request("DELETE", f"{BASE}/ejecutar", json={"execution_id": queued})
    assert queued_cancel.json()["data"]["estado"] == "error", "not started: closed at once"
    assert (await status(admin, queued))["status"] == "cancelled"

    pids = exchange / "pids"
    execution_id = await start(admin, "terco", {"pids": str(pids)})
    worker = stack.worker(
        {"AUTOMATIONS_DIR": str(scripts_dir), "AUTOMATION_KILL_GRACE_SECONDS": "1"}
    )
    try:
        await when(admin, execution_id, lambda s: s["current_phase"] is not None)
        cancelled = await admin.request(
            "DELETE", f"{BASE}/ejecutar", json={"execution_id": execution_id}
        )
        final = await when(admin, execution_id, lambda s: s["status"] != "running")
    finally:
        worker.stop()

    assert cancelled.status_code == 200
    assert cancelled.json()["data"] == {"execution_id": execution_id, "estado": "cancelando"}
    assert final["status"] == "cancelled"
    assert final["error"] == "Ejecución cancelada por admin@alfa.example"
    script, child = (int(pid) for pid in pids.read_text().split())
    assert not alive(script), "it ignored SIGTERM: killed after the grace"
    assert not alive(child)
    logs = (await admin.get(f"{BASE}/logs", params={"id_automatizacion": 2})).json()["data"]
    log = logs["logs"][0]
    assert log["estado"] == "error"
    assert log["mensaje"] == "Ejecución cancelada por admin@alfa.example"
    assert log["duracion_segundos"] < 60, "ended by the cancel, not by its 10-minute limit"
    again = await admin.request("DELETE", f"{BASE}/ejecutar", json={"execution_id": execution_id})
    unknown = await admin.request("DELETE", f"{BASE}/ejecutar", json={"execution_id": "nope"})
    assert again.status_code == 409
    assert unknown.status_code == 404
