"""A worker killed outright (SIGKILL) while a script runs: the script dies with it (the kernel
kills it when its parent goes), and the run is not left `en_ejecucion`: another worker's reaper
closes it as an error once its time limit and the margin have passed."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

import httpx
import pytest

from clockify_tracker.config import Settings
from clockify_tracker.main import create_app
from tests.automation.test_runs import alive
from tests.fixtures.app import client_for
from tests.fixtures.stack import Stack
from tests.support.factories import create_account, create_organization, login
from tests.support.polling import eventually
from tests.support.processes import kill_tree

pytestmark = pytest.mark.slow

BASE = "/api/automatizaciones"
SLEEPER = """import os, pathlib, signal, time
pathlib.Path(os.environ["VAR_LOCAL_PID"]).write_text(str(os.getpid()))
signal.signal(signal.SIGTERM, signal.SIG_IGN)
time.sleep(600)
"""


async def test_a_script_dies_with_its_killed_worker_and_the_reaper_closes_the_run(
    stack: Stack, exchange: Path
) -> None:
    scripts = exchange / "automations"
    scripts.mkdir()
    (scripts / "dormilon.py").write_text(SLEEPER)
    pid_file = exchange / "pid"
    alfa = await create_organization(stack.db, "Alfa Industrias")
    await create_account(stack.db, "admin@alfa.example", organization=alfa)
    settings = Settings.model_validate(
        {"DATABASE_URL": stack.database_url, "redis_url": stack.redis.url,
         "automations_dir": str(scripts)}
    )  # fmt: skip
    env = {"AUTOMATIONS_DIR": str(scripts), "AUTOMATION_REAPER_MARGIN_SECONDS": "0.5",
           "AUTOMATION_KILL_GRACE_SECONDS": "0.5"}  # fmt: skip
    async for client in client_for(create_app(settings)):
        assert (await login(client, "admin@alfa.example")).status_code == 200
        created = await client.post(BASE, json={
            "nombre": "prod_dormilon", "script_path": "dormilon.py", "cron_expresion": "0 0 31 2 *",
            "timeout_segundos": 3, "variables_personalizadas": {"pid": str(pid_file)},
        })  # fmt: skip
        automation_id = created.json()["data"]["id"]
        await client.post(f"{BASE}/ejecutar", json={"id_automatizacion": automation_id})

        first = stack.worker(env)
        await eventually(partial(_exists, pid_file), within=30)
        script = int(pid_file.read_text())
        # The worker's processes only: the script is left to the kernel (PDEATHSIG).
        kill_tree(first.process.pid, spare={script})
        first.process.wait()
        await eventually(partial(_gone, script), within=10)

        second = stack.worker(env)
        try:
            log = await eventually(partial(_closed, client, automation_id), within=30)
        finally:
            second.stop()

    assert log["estado"] == "error"
    assert "dejó de responder" in log["error_mensaje"]


async def _exists(path: Path) -> bool:
    return await asyncio.to_thread(lambda: path.exists() and bool(path.read_text()))


async def _gone(pid: int) -> bool:
    return not alive(pid)


async def _closed(client: httpx.AsyncClient, automation_id: int) -> dict[str, object] | None:
    logs = (await client.get(f"{BASE}/logs", params={"id_automatizacion": automation_id})).json()
    log: dict[str, object] = logs["data"]["logs"][0]
    return log if log["estado"] not in ("pendiente", "en_ejecucion") else None
