"""The tenant-isolation matrix: an account of organization B asks for A's objects by id, by
search and by listing, on every endpoint that exposes organization data, and never gets them.

Each later domain adds its rows to CASES: (name, method, path, json body or None, query or None).
`{a_*}` placeholders are filled with A's objects created by `seed`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from clockify_tracker.kit.db import Database
from clockify_tracker.main import create_app
from clockify_tracker.models import (
    Automation,
    AutomationRun,
    BinnacleEntry,
    ClockifySession,
    ClockifyUser,
    ClockifyWorkspace,
    EmailMessage,
    ErrorLog,
    Organization,
    ReportJob,
    StoredFile,
)
from tests.support.clockify import deliver, entry
from tests.support.factories import create_account, create_organization, login

A_WORKSPACE = "6650ccccccccccccccccaaaa"
A_ENTRY = "6650aaaaaaaaaaaaaaaaaaaa"
A_DESCRIPTION = "Informe confidencial de Alfa"
A_USER = "6650bb00bb00bb00bb00bb01"  # the Clockify user of entry()
A_AUTOMATION = "prod_alfa_confidencial"
A_EXECUTION = "a1fa0000-0000-4000-8000-00000000a1fa"
A_SCRIPT = "alfa_industrias_cierre.py"  # in tests/data/automations, Alfa's only by its prefix


@dataclass(frozen=True)
class Seed:
    a: Organization
    b: Organization
    a_session_id: int
    a_binnacle_id: int
    a_email_id: int
    a_report_id: int
    a_user_id: int
    a_automation_id: int
    a_error_id: int
    a_external_id: str = A_ENTRY
    a_account_id: int = 0  # A's administrator

    def values(self) -> dict[str, Any]:
        return {
            "a_name": self.a.name,
            "a_slug": self.a.slug,
            "a_database": self.a.database_name,
            "a_id": self.a.id,
            "a_session_id": self.a_session_id,
            "a_binnacle_id": self.a_binnacle_id,
            "a_email_id": self.a_email_id,
            "a_report_id": self.a_report_id,
            "a_user_id": self.a_user_id,
            "a_automation_id": self.a_automation_id,
            "a_error_id": self.a_error_id,
            "a_script": A_SCRIPT,
            "a_execution_id": A_EXECUTION,
            "a_external_id": self.a_external_id,
            "a_user": A_USER,
            "a_account_id": self.a_account_id,
            "b_database": self.b.database_name,
        }

    def markers(self) -> tuple[str, ...]:
        """Text that appears in A's data and nowhere in B's."""
        return (
            self.a.name,
            self.a.slug,
            self.a.database_name,
            self.a_external_id,
            A_DESCRIPTION,
            A_USER,
            A_AUTOMATION,
            A_EXECUTION,
            A_SCRIPT,
        )


# (name, method, path, json, query)
CASES: list[tuple[str, str, str, dict[str, Any] | None, dict[str, Any] | None]] = [
    ("me lists only B", "GET", "/api/auth/me", None, None),
    (
        "switch to A by name",
        "POST",
        "/api/auth/organizacion-activa",
        {"organizacion": "{a_name}"},
        None,
    ),
    (
        "switch to A by slug",
        "POST",
        "/api/auth/organizacion-activa",
        {"organizacion": "{a_slug}"},
        None,
    ),
    (
        "switch to A by database",
        "POST",
        "/api/auth/organizacion-activa",
        {"organizacion": "{a_database}"},
        None,
    ),
    ("refresh stays in B", "POST", "/api/auth/refresh", None, None),
    (
        "frontend switch to A by database",
        "POST",
        "/api/auth/switch-organization",
        {"database": "{a_database}"},
        None,
    ),
    (
        "frontend switch to A by name",
        "POST",
        "/api/auth/switch-organization",
        {"database": "{a_name}"},
        None,
    ),
    ("members: B's own list", "GET", "/api/auth/users", None, None),
    ("members: A's list", "GET", "/api/auth/users", None, {"database": "{a_database}"}),
    (
        "members: add to A",
        "POST",
        "/api/auth/users",
        {
            "nombre": "Intruso",
            "correo": "intruso@example.com",
            "contraseña": "una-clave-larga-1",
            "tipo_usuario": "administrador",
            "database": "{a_database}",
        },
        None,
    ),
    (
        "members: demote A's administrator in A",
        "PATCH",
        "/api/auth/users",
        {"id_usuario": "{a_account_id}", "tipo_usuario": "contador", "database": "{a_database}"},
        None,
    ),
    (
        "members: demote A's administrator through B",
        "PATCH",
        "/api/auth/users",
        {"id_usuario": "{a_account_id}", "tipo_usuario": "contador", "database": "{b_database}"},
        None,
    ),
    (
        "members: remove A's administrator from A",
        "DELETE",
        "/api/auth/users",
        {"id_usuario": "{a_account_id}", "database": "{a_database}"},
        None,
    ),
    (
        "members: remove A's administrator through B",
        "DELETE",
        "/api/auth/users",
        {"id_usuario": "{a_account_id}", "database": "{b_database}"},
        None,
    ),
    (
        "register an organization named as A",
        "POST",
        "/api/auth/register",
        {
            "organizacion": "{a_name}",
            "nombre": "Intruso",
            "correo": "intruso@example.com",
            "contraseña": "una-clave-larga-1",
        },
        None,
    ),
    ("sessions: list", "GET", "/api-clockify/sessions/getAll", None, None),
    ("sessions: by id", "GET", "/api-clockify/sessions/getById/{a_session_id}", None, None),
    (
        "sessions: search project",
        "GET",
        "/api-clockify/sessions/search/",
        None,
        {"projectName": "Kabisa"},
    ),
    (
        "sessions: search entry",
        "GET",
        "/api-clockify/sessions/search/",
        None,
        {"external_sesion_id": "{a_external_id}"},
    ),
    (
        "sessions: by user email",
        "GET",
        "/api-clockify/sessions/getByEmail/ana@example.com",
        None,
        None,
    ),
    (
        "sessions: approve",
        "POST",
        "/api-clockify/sessions/approve",
        {"aprobado": True},
        {"externalSesionId": "{a_external_id}"},
    ),
    ("binnacle: list", "GET", "/api-clockify/session-binnacle/getAll/", None, None),
    (
        "binnacle: by id",
        "GET",
        "/api-clockify/session-binnacle/getById/{a_binnacle_id}",
        None,
        None,
    ),
    (
        "binnacle: by session",
        "GET",
        "/api-clockify/session-binnacle/getByIdSession/{a_session_id}",
        None,
        None,
    ),
    (
        "binnacle: search",
        "GET",
        "/api-clockify/session-binnacle/search/",
        None,
        {"external_sesion_id": "{a_external_id}"},
    ),
    ("users: list", "GET", "/api-clockify/users/getAll/", None, None),
    ("users: by Clockify id", "GET", "/api-clockify/users/getByExternalId/{a_user}", None, None),
    ("users: by email", "GET", "/api-clockify/users/getByEmail/ana@example.com", None, None),
    ("users: search day", "GET", "/api-clockify/users/search/", None, {"startDate": "2026-11-02"}),
    ("users: update", "PUT", "/api-clockify/users/update/{a_user}", {"name": "Robado"}, None),
    ("users: disable", "DELETE", "/api-clockify/users/deleteByExternalId/{a_user}", None, None),
    (
        "users: confirm email",
        "POST",
        "/api-clockify/users/confirmEmail/{a_user}",
        {"email": "ana@example.com"},
        None,
    ),
    (
        "sessions: update",
        "PUT",
        "/api-clockify/sessions/update/{a_session_id}",
        {"description": "x"},
        None,
    ),
    ("sessions: delete", "DELETE", "/api-clockify/sessions/delete/{a_session_id}", None, None),
    (
        "binnacle: note",
        "POST",
        "/api-clockify/session-binnacle/create/",
        {"idSesion": "{a_session_id}", "description": "x"},
        None,
    ),
    ("emails: failed", "GET", "/api-clockify/emails/failed", None, None),
    # Answers the default organization's coordinator addresses: service token only (403 here).
    ("emails: SMTP test", "GET", "/api-clockify/webhook/test-email", None, None),
    ("emails: retry", "POST", "/api-clockify/emails/{a_email_id}/retry", None, None),
    ("reports: status", "GET", "/api-clockify/session-report/{a_report_id}", None, None),
    ("reports: download", "GET", "/api-clockify/session-report/{a_report_id}/download", None, None),
    (
        "reports: one of A's users",
        "POST",
        "/api-clockify/session-report/user",
        {
            "idUser": "{a_user_id}",
            "startDate": "2026-11-01",
            "endDate": "2026-11-30",
            "emailToSend": "b@example.com",
        },
        None,
    ),
    (
        "reports: send all (B's own)",
        "POST",
        "/api-clockify/session-report/sendAllReports",
        {"type": "monthly", "month": 11, "year": 2026},
        None,
    ),
    ("automations: list A's", "GET", "/api/automatizaciones", None, {"organizacion": "{a_name}"}),
    ("automations: list own", "GET", "/api/automatizaciones", None, None),
    (
        "automations: create in A",
        "POST",
        "/api/automatizaciones",
        {
            "organizacion": "{a_slug}",
            "nombre": "prod_x",
            "script_path": "ok.py",
            "cron_expresion": "* * * * *",
        },
        None,
    ),
    (
        "automations: edit A's",
        "PATCH",
        "/api/automatizaciones",
        {"id_automatizacion": "{a_automation_id}", "activo": False},
        None,
    ),
    (
        "automations: delete A's",
        "DELETE",
        "/api/automatizaciones",
        {"id_automatizacion": "{a_automation_id}"},
        None,
    ),
    (
        "automations: run A's",
        "POST",
        "/api/automatizaciones/ejecutar",
        {"id_automatizacion": "{a_automation_id}"},
        None,
    ),
    (
        "automations: A's logs",
        "GET",
        "/api/automatizaciones/logs",
        None,
        {"id_automatizacion": "{a_automation_id}"},
    ),
    (
        "automations: A's scheduler",
        "GET",
        "/api/automatizaciones/scheduler",
        None,
        {"organizacion": "{a_database}"},
    ),
    ("automations: own scheduler", "GET", "/api/automatizaciones/scheduler", None, None),
    (
        "sessions: by A's user",
        "GET",
        "/api-clockify/sessions/getByUser/{a_user_id}",
        None,
        None,
    ),
    (
        "sessions: create for A's user",
        "POST",
        "/api-clockify/sessions/create",
        {
            "external_sesion_id": "6650aaaaaaaaaaaaaaaabbbb",
            "idUser": "{a_user_id}",
            "startDate": "2026-11-03T15:00:00Z",
            "endDate": "2026-11-03T16:00:00Z",
            "duration": "PT1H",
        },
        None,
    ),
    (
        "users: create (lands in B)",
        "POST",
        "/api-clockify/users/create/",
        {"ExternalUserId": "6650bb00bb00bb00bb00bbff", "name": "Nuevo"},
        None,
    ),
    ("error log: list", "GET", "/api-clockify/error-log/", None, None),
    ("error log: by id", "GET", "/api-clockify/error-log/{a_error_id}", None, None),
    (
        "binnacle reports: send all (B's own)",
        "POST",
        "/api-clockify/session-binnacle/reports/sendAllReports",
        {"type": "monthly", "month": 11, "year": 2026},
        None,
    ),
    (
        "automations: cancel A's run",
        "DELETE",
        "/api/automatizaciones/ejecutar",
        {"execution_id": "{a_execution_id}"},
        None,
    ),
    (
        "automations: cancel A's run, naming A",
        "DELETE",
        "/api/automatizaciones/ejecutar",
        {"execution_id": "{a_execution_id}", "organizacion": "{a_name}"},
        None,
    ),
    ("automations: own scripts", "GET", "/api/automatizaciones/disponibles", None, None),
    (
        "automations: A's scripts",
        "GET",
        "/api/automatizaciones/disponibles",
        None,
        {"organizacion": "{a_slug}"},
    ),
    (
        "automations: A's script metadata",
        "GET",
        "/api/automatizaciones/metadata",
        None,
        {"script_path": "{a_script}"},
    ),
    (
        "automations: A's run status",
        "GET",
        "/api/automatizaciones/status",
        None,
        {"execution_id": "{a_execution_id}"},
    ),
    (
        "automations: clear A's run status",
        "DELETE",
        "/api/automatizaciones/status",
        None,
        {"execution_id": "{a_execution_id}", "organizacion": "{a_name}"},
    ),
    (
        "automations: stop A",
        "POST",
        "/api/automatizaciones/scheduler",
        {"accion": "detener", "organizacion": "{a_name}"},
        None,
    ),
]


def fill(value: Any, seed: Seed) -> Any:
    if isinstance(value, str):
        return value.format(**seed.values())
    if isinstance(value, dict):
        return {key: fill(item, seed) for key, item in value.items()}
    return value


@pytest.fixture
async def seed(db: Database, client: httpx.AsyncClient) -> Seed:
    a = await create_organization(db, "Alfa Industrias")
    b = await create_organization(db, "Beta Servicios")
    a_admin = await create_account(db, "a@example.com", organization=a)
    await create_account(db, "b@example.com", organization=b)
    async with db.unit_of_work() as session:
        session.add(ClockifyWorkspace(id=A_WORKSPACE, organization_id=a.id, name="Alfa"))
    await deliver(
        client, db, "end", entry(A_ENTRY, workspace_id=A_WORKSPACE, description=A_DESCRIPTION)
    )
    await deliver(
        client,
        db,
        "edit",
        entry(
            A_ENTRY,
            workspace_id=A_WORKSPACE,
            description=A_DESCRIPTION,
            end="2026-11-02T19:00:00Z",
            duration="PT4H",
        ),
    )
    async with db.unit_of_work() as session:
        user = await session.scalar(select(ClockifyUser))
        assert user is not None
        user.email = "ana@example.com"
        a_session = await session.scalar(select(ClockifySession))
        a_entry = await session.scalar(select(BinnacleEntry))
        a_email = EmailMessage(
            organization_id=a.id, kind="review", recipients=["coord@alfa.example"],
            subject=A_DESCRIPTION, text_body=A_DESCRIPTION, message_id="<alfa@clockify-tracker>",
            status="failed", attempts=1, last_error="550 5.1.1 No such mailbox",
        )  # fmt: skip
        session.add(a_email)
        a_file = StoredFile(
            organization_id=a.id, filename="reporte_alfa.xlsx", content_type="application/zip",
            size_bytes=len(A_DESCRIPTION.encode()), content=A_DESCRIPTION.encode(),
        )  # fmt: skip
        session.add(a_file)
        await session.flush()
        a_report = ReportJob(
            organization_id=a.id, kind="monthly", trigger="manual", status="done",
            period_start=date(2026, 11, 1), period_end=date(2026, 11, 30),
            requested_by="a@example.com", file_id=a_file.id,
        )  # fmt: skip
        session.add(a_report)
        a_automation = Automation(
            organization_id=a.id, name=A_AUTOMATION, script_path="ok.py",
            cron_expression="0 9 * * *", description=A_DESCRIPTION,
        )  # fmt: skip
        session.add(a_automation)
        a_error = ErrorLog(
            organization_id=a.id, endpoint="/api-clockify/webhook/end", method="POST",
            status_code=400, message=A_DESCRIPTION, raw_body=A_DESCRIPTION,
        )  # fmt: skip
        session.add(a_error)
        await session.flush()
        session.add(
            AutomationRun(
                automation_id=a_automation.id, organization_id=a.id, execution_id=A_EXECUTION,
                status="en_ejecucion", requested_by_email="a@example.com", timeout_seconds=600,
                output=A_DESCRIPTION,
            )
        )  # fmt: skip
    assert a_session is not None
    assert a_entry is not None
    return Seed(
        a, b, a_session.id, a_entry.id, a_email.id, a_report.id, user.id, a_automation.id,
        a_error.id, a_account_id=a_admin.id,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "method", "path", "body", "query"), CASES, ids=[c[0] for c in CASES]
)
async def test_an_account_of_b_never_sees_or_reaches_a(
    client: httpx.AsyncClient,
    seed: Seed,
    name: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    query: dict[str, Any] | None,
) -> None:
    assert (await login(client, email="b@example.com")).status_code == 200

    response = await client.request(
        method, fill(path, seed), json=fill(body, seed), params=fill(query, seed)
    )

    # 400: the automations contract's answer to a script it will not show (missing or not
    # the organization's: the same words either way).
    assert response.status_code in {200, 201, 202, 400, 403, 404}, response.text
    text = response.text
    for marker in seed.markers():
        assert marker not in text, f"{name}: A's {marker!r} leaked to B"
    if response.status_code in {200, 201, 202}:
        assert (await client.get("/api/auth/me")).json()["data"]["organizacionActiva"][
            "nombre"
        ] == seed.b.name


async def test_the_matrix_would_see_a_leak(
    client: httpx.AsyncClient, seed: Seed, db: Database
) -> None:
    """Control: the same requests by A's own account do show A, so the markers are right."""
    assert (await login(client, email="a@example.com")).status_code == 200
    response = await client.get("/api/auth/me")
    assert seed.a.database_name in response.text
    for path in (
        "/api-clockify/sessions/getAll",
        f"/api-clockify/sessions/getById/{seed.a_session_id}",
        f"/api-clockify/session-binnacle/getById/{seed.a_binnacle_id}",
    ):
        own = await client.get(path)
        assert own.status_code == 200, path
        assert seed.a_external_id in own.text, path
    own_emails = await client.get("/api-clockify/emails/failed")
    assert [e["idEmail"] for e in own_emails.json()] == [seed.a_email_id]
    assert A_DESCRIPTION in own_emails.text
    own_report = await client.get(f"/api-clockify/session-report/{seed.a_report_id}/download")
    assert own_report.content == A_DESCRIPTION.encode()
    own_automations = await client.get("/api/automatizaciones")
    assert A_AUTOMATION in own_automations.text
    own_run = await client.get("/api/automatizaciones/status", params={"execution_id": A_EXECUTION})
    assert own_run.status_code == 200
    own_scripts = await client.get("/api/automatizaciones/disponibles")
    assert "alfa_industrias_cierre.py" in own_scripts.text
    own_members = await client.get("/api/auth/users")
    assert seed.a.database_name in own_members.text


# Operations not in the matrix, each with why: none of them reads or writes an organization's
# data on behalf of a signed-in account.
NOT_IN_MATRIX = {
    "GET /healthz": "no organization data",
    "GET /readyz": "no organization data",
    "POST /api/auth/login": "answers only the account's own organizations (tests/auth)",
    "POST /api/auth/logout": "ends the caller's own session",
}
# Clockify's deliveries are not made by an account: they land in the organization their
# workspace belongs to (tests/organization/test_workspaces.py, tests/email/test_notifications.py).
WEBHOOKS = re.compile(r"^POST (/api-clockify/webhook|/webhook/clockify/)")


def test_the_matrix_covers_every_operation_that_serves_an_account() -> None:
    """A new route must get its row in CASES (or a reason in NOT_IN_MATRIX)."""

    def template(path: str) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$")

    schema = create_app().openapi()
    operations = {
        f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item
    }
    served = {
        operation
        for operation in operations
        for _, method, path, _, _ in CASES
        if operation.startswith(f"{method} ")
        and template(operation.split(" ", 1)[1]).match(re.sub(r"\{[^}]+\}", "1", path))
    }
    missing = (
        operations - served - set(NOT_IN_MATRIX) - {o for o in operations if WEBHOOKS.match(o)}
    )
    assert not missing, f"operations with no isolation row: {sorted(missing)}"
    assert not set(NOT_IN_MATRIX) - operations, "a reason for an operation that no longer exists"
