"""`clockify-tracker create-org | create-account | set-password`, run as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from clockify_tracker.kit.db import Database
from tests.support.factories import login
from tests.support.services import REPO_ROOT


def cli(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = os.environ.copy()
    if password is not None:
        env["CT_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "clockify_tracker.cli", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


async def test_operator_creates_an_organization_and_an_admin_who_can_log_in(
    db: Database, client: httpx.AsyncClient
) -> None:
    created = cli("create-org", "Mi Empresa")
    assert created.returncode == 0, created.stderr
    assert "org_mi_empresa" in created.stdout

    account = cli(
        "create-account", "Jefa@Example.com", "--org", "Mi Empresa", "--role", "administrador",
        password="first-password-123",
    )  # fmt: skip
    assert account.returncode == 0, account.stderr
    assert "first-password-123" not in account.stdout + account.stderr

    response = await login(client, email="jefa@example.com", password="first-password-123")
    assert response.status_code == 200
    assert response.json()["data"]["organizacionActiva"]["database"] == "org_mi_empresa"

    changed = cli("set-password", "jefa@example.com", password="second-password-456")
    assert changed.returncode == 0, changed.stderr
    assert (
        await login(client, email="jefa@example.com", password="first-password-123")
    ).status_code == 401
    assert (
        await login(client, email="jefa@example.com", password="second-password-456")
    ).status_code == 200


async def test_cli_errors_are_messages_not_tracebacks(db: Database) -> None:
    assert cli("create-org", "Duplicada").returncode == 0
    duplicate = cli("create-org", "duplicada")
    assert duplicate.returncode == 1
    assert "Ya existe" in duplicate.stderr
    assert "Traceback" not in duplicate.stderr

    short = cli("create-account", "x@example.com", password="short")
    assert short.returncode == 1
    assert "al menos 12" in short.stderr  # --role administrador is the default

    bad_role = cli("create-account", "y@example.com", "--role", "jefe", password="long-enough-pw")
    assert bad_role.returncode == 2

    missing = cli("set-password", "nobody@example.com", password="long-enough-pw")
    assert missing.returncode == 1
