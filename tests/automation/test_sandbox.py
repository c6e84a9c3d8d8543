"""What a script cannot reach: it runs as the unprivileged AUTOMATION_RUN_AS_USER, so the
worker's environment and memory are the kernel's to refuse; in a mount namespace of its own,
so the service's `.env` and `var/` and the other organizations' folders are covered even when
file permissions would let anyone read them. A worker that cannot switch users refuses."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest

from clockify_tracker.automation import runner, sandbox
from clockify_tracker.config import Settings
from clockify_tracker.main import create_app
from tests.automation.conftest import BASE, create
from tests.automation.test_runs import outcome, run
from tests.fixtures.app import client_for
from tests.fixtures.stack import Stack
from tests.fixtures.worker import WorkerProcess, _wait_until_ready
from tests.support.factories import create_account, create_organization, login
from tests.support.polling import eventually
from tests.support.services import REPO_ROOT

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs a root worker")

SPY = '''"""Tries to read the service's files and another organization's script."""
import os, pathlib

service = pathlib.Path(os.environ["VAR_LOCAL_SERVICIO"])
here = pathlib.Path(__file__).resolve().parent.parent


def attempt(label, read):
    try:
        print(label, "LEIDO", repr(read()))
    except OSError as exc:
        print(label, "NEGADO", type(exc).__name__)


attempt("env", lambda: (service / ".env").read_text())
attempt("var_archivo", lambda: (service / "var" / "secreto.txt").read_text())
attempt("var_lista", lambda: sorted(p.name for p in (service / "var").iterdir()))
attempt("otra_org", lambda: (here / "org_beta_servicios" / "secreto.py").read_text())
attempt("otra_org_lista", lambda: sorted(p.name for p in (here / "org_beta_servicios").iterdir()))
attempt("propia", lambda: (here / "org_alfa_industrias" / "propio.txt").read_text())
'''


@pytest.mark.usefixtures("celery_worker")
@needs_root
async def test_a_script_cannot_read_the_workers_environment_or_memory(
    alfa_admin: httpx.AsyncClient,
) -> None:
    created = await create(alfa_admin, script_path="espia_proc.py")
    await run(alfa_admin, created["id"])
    (log,) = (await outcome(alfa_admin, created["id"]))["logs"]

    output = log["output"]
    assert log["estado"] == "exitoso", output
    assert "environ_worker NEGADO PermissionError" in output
    assert "mem_worker NEGADO PermissionError" in output
    assert "environ_padre NEGADO PermissionError" in output, "the launcher runs as root"
    assert "encontrado" not in output, "no readable process holds a setting of the service"
    assert int(output.split("environ_legibles ")[1].split()[0]) >= 1, "its own is readable"
    for secret in [*Settings().secret_values(), "test-secret-token-value"]:
        assert secret not in output


@pytest.fixture
def service_dir() -> Iterator[Path]:
    """A service folder anyone may read (as a `make dev` checkout often is): only the mount
    namespace keeps its `.env` and `var/` from a script."""
    folder = Path(tempfile.mkdtemp(prefix="ct-service-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _worker_in(service: Path, stack: Stack, env: dict[str, str]) -> WorkerProcess:
    """A worker on the stack whose working directory (where it reads `.env`) is `service`."""
    hostname = f"test-{uuid.uuid4().hex[:8]}@localhost"
    log_path = stack.workdir / f"{hostname.split('@')[0]}.log"
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "DATABASE_URL": stack.database_url,
                   "REDIS_URL": stack.redis.url, **env}  # fmt: skip
    environment.pop("MAIL_PASSWORD", None)  # the `.env` gives it
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker", "worker", "--concurrency", "1",
             "--pool", "prefork", "--hostname", hostname, "--loglevel", "INFO",
             "--without-mingle", "--without-gossip"],
            cwd=service, env=environment, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    worker = WorkerProcess(hostname, process, log_path)
    try:
        _wait_until_ready(worker, stack.broker)
    except BaseException:
        worker.stop()
        raise
    return worker


@pytest.mark.slow
@needs_root
async def test_a_script_cannot_read_the_services_files_nor_another_organizations_folder(
    stack: Stack, service_dir: Path
) -> None:
    if not sandbox.can_hide_paths():
        pytest.skip("this machine gives no mount namespaces: file permissions alone apply")
    mail_password, var_secret, beta_secret, jwt = (secrets.token_hex(16) for _ in range(4))
    (service_dir / ".env").write_text(f"MAIL_PASSWORD={mail_password}\n")
    (service_dir / "var").mkdir(mode=0o755)
    (service_dir / "var" / "secreto.txt").write_text(var_secret)
    scripts = service_dir / "automations"
    for folder in ("org_alfa_industrias", "org_beta_servicios"):
        (scripts / folder).mkdir(parents=True)
    (scripts / "org_alfa_industrias" / "espia.py").write_text(SPY)
    (scripts / "org_alfa_industrias" / "propio.txt").write_text("de alfa")
    (scripts / "org_beta_servicios" / "secreto.py").write_text(f"TOKEN = {beta_secret!r}\n")
    for path in [scripts, *scripts.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    alfa = await create_organization(stack.db, "Alfa Industrias")
    await create_organization(stack.db, "Beta Servicios")
    await create_account(stack.db, "admin@alfa.example", organization=alfa)
    settings = Settings.model_validate(
        {"DATABASE_URL": stack.database_url, "redis_url": stack.redis.url,
         "automations_dir": str(scripts)}
    )  # fmt: skip
    env = {"AUTOMATIONS_DIR": str(scripts), "JWT_SECRET": jwt,
           "CELERY_BEAT_SCHEDULE_FILE": str(service_dir / "var" / "beat")}  # fmt: skip
    worker = _worker_in(service_dir, stack, env)
    try:
        async for client in client_for(create_app(settings)):
            assert (await login(client, "admin@alfa.example")).status_code == 200
            created = await client.post(BASE, json={
                "nombre": "prod_espia", "script_path": "org_alfa_industrias/espia.py",
                "cron_expresion": "manual",
                "variables_personalizadas": {"servicio": str(service_dir)},
            })  # fmt: skip
            automation_id = created.json()["data"]["id"]
            await client.post(f"{BASE}/ejecutar", json={"id_automatizacion": automation_id})
            log = await eventually(partial(_closed, client, automation_id), within=30)
    finally:
        worker.stop()

    output = log["output"]
    assert log["estado"] == "exitoso", (output, worker.log())
    assert "env LEIDO ''" in output or "env NEGADO" in output, output
    assert "var_archivo NEGADO PermissionError" in output
    assert "var_lista NEGADO PermissionError" in output
    assert "otra_org NEGADO PermissionError" in output
    assert "otra_org_lista NEGADO PermissionError" in output
    assert "propia LEIDO 'de alfa'" in output, "its own organization's folder stays readable"
    for secret in (mail_password, var_secret, beta_secret, jwt):
        assert secret not in output


async def _closed(client: httpx.AsyncClient, automation_id: int) -> dict[str, object] | None:
    logs = (await client.get(f"{BASE}/logs", params={"id_automatizacion": automation_id})).json()
    found: list[dict[str, object]] = logs["data"]["logs"]
    return found[0] if found and found[0]["estado"] not in ("pendiente", "en_ejecucion") else None


def test_a_worker_that_cannot_switch_users_refuses_to_run_scripts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sandbox, "_capabilities", lambda: 0)  # as an unprivileged worker
    refusing = Settings.model_validate({"automation_allow_unisolated": False})

    with pytest.raises(sandbox.IsolationError, match="AUTOMATION_ALLOW_UNISOLATED=true"):
        sandbox.plan_for(refusing, script=tmp_path / "s.py", cwd=tmp_path,
                         interpreter=sys.executable, organization_folder="org_a")  # fmt: skip

    allowing = Settings.model_validate({"automation_allow_unisolated": True})
    plan = sandbox.plan_for(allowing, script=tmp_path / "s.py", cwd=tmp_path,
                            interpreter=sys.executable, organization_folder="org_a")  # fmt: skip
    assert (plan.uid, plan.hide) == (None, ())
    assert plan.warning is not None


async def test_an_unisolated_run_says_so_on_top_of_its_output(tmp_path: Path) -> None:
    script = tmp_path / "hola.py"
    script.write_text("print('hola')\n")
    plan = sandbox.Plan(None, None, (), sandbox.UNISOLATED_WARNING)

    result = await runner.run_script(sys.executable, script, cwd=tmp_path, env={},
                                     time_limit=30, kill_grace=1, plan=plan)  # fmt: skip

    assert result.status == "exitoso"
    assert result.output == sandbox.UNISOLATED_WARNING + "hola\n"


async def test_a_refused_run_is_an_error_that_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sandbox, "_capabilities", lambda: 0)
    monkeypatch.setattr(runner.settings, "automation_allow_unisolated", False)
    script = tmp_path / "hola.py"
    script.write_text("print('hola')\n")

    result = await runner.run_script(sys.executable, script, cwd=tmp_path, env={},
                                     time_limit=30, kill_grace=1)  # fmt: skip

    assert result.status == "error"
    assert result.output == ""
    assert result.error_message is not None
    assert "AUTOMATION_ALLOW_UNISOLATED" in result.error_message
