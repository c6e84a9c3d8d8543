"""The frontend's Usuarios screen (UsersSection.tsx) against /api/auth/users, its exact bodies
in its order, and the rules behind it: administrators only, the last administrator stays,
every change recorded, other organizations untouched."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from clockify_tracker.kit.db import Database
from clockify_tracker.models import Account, Membership, MembershipEvent, Organization, Role
from tests.auth.test_cli import cli
from tests.support.factories import PASSWORD, create_account, create_organization
from tests.support.frontend import Frontend, frontend_for, frontend_settings

# What the screen reads of each listed user, and of the list.
USER_FIELDS = {"id", "nombre", "correo", "telefono", "fecha_nacimiento", "tipo_usuario"}


@pytest.fixture
async def alfa(db: Database) -> Organization:
    organization = await create_organization(db, "Alfa Contable")
    await create_account(db, "ana@example.com", organization=organization)
    return organization


@pytest.fixture
async def browser(db: Database) -> AsyncIterator[Frontend]:
    async for frontend in frontend_for(frontend_settings()):
        yield frontend


async def _another_browser(db: Database) -> AsyncIterator[Frontend]:
    async for frontend in frontend_for(frontend_settings()):
        yield frontend


async def _events(db: Database) -> list[tuple[str, str, str | None, str | None]]:
    async with db.unit_of_work() as session:
        rows = await session.scalars(select(MembershipEvent).order_by(MembershipEvent.id))
        return [(e.action, e.account_email, e.old_role, e.new_role) for e in rows]


async def test_the_usuarios_screen_lists_creates_changes_a_role_and_removes(
    db: Database, browser: Frontend, alfa: Organization
) -> None:
    await browser.login("ana@example.com", PASSWORD)
    database = "org_alfa_contable"  # currentUser.organizacionActiva.database

    listed = await browser.get("/auth/users")
    assert listed.status_code == 200, listed.text
    data = listed.json()["data"]
    assert (data["role"], data["database"], data["totalUsers"]) == ("administrador", database, 1)
    assert set(data["users"][0]) >= USER_FIELDS

    created = await browser.post(
        "/auth/users",
        {
            "nombre": "Luis Pérez",
            "correo": "luis@example.com",
            "contraseña": "clave-de-luis-1",
            "fecha_nacimiento": "1991-03-15",
            "telefono": "5598765432",
            "tipo_usuario": "contador",
            "database": database,
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["message"]

    users = (await browser.get("/auth/users")).json()["data"]["users"]
    luis = next(u for u in users if u["correo"] == "luis@example.com")
    assert luis == {
        **luis,
        "nombre": "Luis Pérez",
        "telefono": "5598765432",
        "fecha_nacimiento": "1991-03-15",
        "tipo_usuario": "contador",
    }
    # The screen's search lowercases both: never null.
    assert all(isinstance(u["nombre"], str) and isinstance(u["correo"], str) for u in users)

    changed = await browser.patch(
        "/auth/users",
        {"id_usuario": luis["id"], "tipo_usuario": "administrador", "database": database},
    )
    assert changed.status_code == 200, changed.text
    users = (await browser.get("/auth/users")).json()["data"]["users"]
    assert {u["correo"]: u["tipo_usuario"] for u in users}["luis@example.com"] == "administrador"

    removed = await browser.delete("/auth/users", {"id_usuario": luis["id"], "database": database})
    assert removed.status_code == 200, removed.text
    users = (await browser.get("/auth/users")).json()["data"]["users"]
    assert [u["correo"] for u in users] == ["ana@example.com"]

    assert await _events(db) == [
        ("cuenta_creada", "luis@example.com", None, "contador"),
        ("rol_cambiado", "luis@example.com", "contador", "administrador"),
        ("eliminado", "luis@example.com", "administrador", None),
    ]
    # The new account could log in while it was a member, with the password given.
    async for other in _another_browser(db):
        assert (await other.login("luis@example.com", "clave-de-luis-1")).status_code == 200
        assert (await other.get("/auth/me")).json()["data"]["organizaciones"] == []


async def test_anyone_but_an_administrator_sees_only_their_own_entry(
    db: Database, browser: Frontend, alfa: Organization
) -> None:
    await create_account(db, "coord@example.com", organization=alfa, role=Role.COORDINADOR)
    await create_account(db, "conta@example.com", organization=alfa, role=Role.CONTADOR)

    await browser.login("conta@example.com", PASSWORD)
    response = await browser.get("/auth/users")

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["role"] == "contador"
    assert data["totalUsers"] == 1
    assert [u["correo"] for u in data["users"]] == ["conta@example.com"]


@pytest.mark.parametrize("role", [Role.CONTADOR, Role.COORDINADOR])
async def test_writes_are_for_administrators_with_a_message_the_toast_shows(
    db: Database, browser: Frontend, alfa: Organization, role: Role
) -> None:
    await create_account(db, "otro@example.com", organization=alfa, role=role)
    async with db.unit_of_work() as session:
        ana = await session.scalar(select(Account.id).where(Account.email == "ana@example.com"))
    await browser.login("otro@example.com", PASSWORD)
    database = "org_alfa_contable"

    answers = [
        await browser.post(
            "/auth/users",
            {
                "nombre": "X",
                "correo": "x@example.com",
                "contraseña": "clave-larga-99",
                "tipo_usuario": "administrador",
                "database": database,
            },
        ),
        await browser.patch(
            "/auth/users", {"id_usuario": ana, "tipo_usuario": "contador", "database": database}
        ),
        await browser.delete("/auth/users", {"id_usuario": ana, "database": database}),
    ]

    for answer in answers:
        assert answer.status_code == 403
        assert "administr" in answer.json()["message"]
        assert answer.json()["error"] == answer.json()["message"]
    assert await _events(db) == []


async def test_another_organizations_database_is_refused_the_same_whether_or_not_it_exists(
    db: Database, browser: Frontend, alfa: Organization
) -> None:
    beta = await create_organization(db, "Beta")
    await create_account(db, "bruno@example.com", organization=beta)
    async with db.unit_of_work() as session:
        bruno = await session.scalar(select(Account.id).where(Account.email == "bruno@example.com"))
    await browser.login("ana@example.com", PASSWORD)

    answers = {}
    for database in ("org_beta", "org_no_existe"):
        answers[database] = [
            await browser.patch(
                "/auth/users",
                {"id_usuario": bruno, "tipo_usuario": "contador", "database": database},
            ),
            await browser.delete("/auth/users", {"id_usuario": bruno, "database": database}),
            await browser.http.get("/api/auth/users", params={"database": database}),
        ]
    for database, responses in answers.items():
        assert [r.status_code for r in responses] == [403, 403, 403], database
    assert [r.json()["message"] for r in answers["org_beta"][:2]] == [
        r.json()["message"] for r in answers["org_no_existe"][:2]
    ]
    # Beta's member named in Alfa's organization is not Alfa's to change.
    missing = await browser.delete(
        "/auth/users", {"id_usuario": bruno, "database": "org_alfa_contable"}
    )
    assert missing.status_code == 404
    async with db.unit_of_work() as session:
        assert (
            await session.scalar(select(Membership.role).where(Membership.account_id == bruno))
            == "administrador"
        )


async def test_the_last_administrator_can_be_neither_demoted_nor_removed(
    db: Database, browser: Frontend, alfa: Organization
) -> None:
    await browser.login("ana@example.com", PASSWORD)
    me = (await browser.get("/auth/users")).json()["data"]["users"][0]["id"]
    database = "org_alfa_contable"

    demoted = await browser.patch(
        "/auth/users", {"id_usuario": me, "tipo_usuario": "contador", "database": database}
    )
    removed = await browser.delete("/auth/users", {"id_usuario": me, "database": database})

    for answer in (demoted, removed):
        assert answer.status_code == 409
        assert "administrador" in answer.json()["message"]
    assert (await browser.get("/auth/users")).json()["data"]["users"][0]["tipo_usuario"] == (
        "administrador"
    )


async def test_two_administrators_demoting_each_other_at_once_leave_one(
    db: Database, alfa: Organization
) -> None:
    await create_account(db, "berta@example.com", organization=alfa)
    async with db.unit_of_work() as session:
        rows = await session.execute(select(Account.email, Account.id))
        ids: dict[str, int] = dict(rows.all())
    browsers = []
    for email in ("ana@example.com", "berta@example.com"):
        generator = _another_browser(db)
        frontend = await anext(generator)
        await frontend.login(email, PASSWORD)
        browsers.append((frontend, generator))
    (ana, _), (berta, _) = browsers

    answers = await asyncio.gather(
        ana.patch("/auth/users", {"id_usuario": ids["berta@example.com"],
                                  "tipo_usuario": "contador", "database": "org_alfa_contable"}),
        berta.patch("/auth/users", {"id_usuario": ids["ana@example.com"],
                                    "tipo_usuario": "contador", "database": "org_alfa_contable"}),
    )  # fmt: skip

    assert sorted(a.status_code for a in answers) == [200, 409]
    async with db.unit_of_work() as session:
        roles = (await session.scalars(select(Membership.role))).all()
    assert sorted(roles) == ["administrador", "contador"]
    for _, generator in browsers:
        await generator.aclose()


async def test_an_existing_account_is_added_with_its_password_and_other_memberships_untouched(
    db: Database, browser: Frontend, alfa: Organization
) -> None:
    beta = await create_organization(db, "Beta")
    await create_account(db, "Carla@Example.com", organization=beta, role=Role.ADMINISTRADOR)
    await browser.login("ana@example.com", PASSWORD)

    added = await browser.post(
        "/auth/users",
        {"nombre": "Otro Nombre", "correo": "carla@example.com", "contraseña": "otra-clave-123",
         "telefono": "5511112222", "fecha_nacimiento": "1970-01-01",
         "tipo_usuario": "contador", "database": "org_alfa_contable"},
    )  # fmt: skip

    assert added.status_code == 201, added.text
    assert "ya existía" in added.json()["message"]
    carla = added.json()["data"]
    assert (carla["nombre"], carla["telefono"]) == ("Carla", None), "her details stay hers"
    again = await browser.post(
        "/auth/users",
        {"nombre": "C", "correo": "carla@example.com", "tipo_usuario": "contador",
         "database": "org_alfa_contable"},
    )  # fmt: skip
    assert again.status_code == 409

    async for other in _another_browser(db):
        assert (await other.login("carla@example.com", "otra-clave-123")).status_code == 401
        session = (await other.login("carla@example.com", PASSWORD)).json()["data"]
        assert {(o["nombre"], o["rol"]) for o in session["organizaciones"]} == {
            ("Alfa Contable", "contador"),
            ("Beta", "administrador"),
        }

    removed = await browser.delete(
        "/auth/users", {"id_usuario": carla["id"], "database": "org_alfa_contable"}
    )
    assert removed.status_code == 200
    async with db.unit_of_work() as session:
        memberships = (
            await session.scalars(select(Membership).where(Membership.account_id == carla["id"]))
        ).all()
        assert [(m.organization_id, m.role) for m in memberships] == [(beta.id, "administrador")]
        assert await session.get(Account, carla["id"]) is not None


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"tipo_usuario": "jefe"}, 422, "tipo_usuario"),
        ({"correo": "luis"}, 422, "correo"),
        ({"contraseña": "corta"}, 400, "contraseña"),
        ({"contraseña": None}, 400, "contraseña"),
        ({"fecha_nacimiento": "1991-02-30"}, 422, "fecha_nacimiento"),
        ({"telefono": "12"}, 422, "telefono"),
        ({"nombre": "\n\t"}, 400, "nombre"),
        ({"database": None}, 422, "database"),
    ],
)
async def test_bad_member_input_is_refused_in_spanish_naming_the_field(
    db: Database,
    browser: Frontend,
    alfa: Organization,
    change: dict[str, str | None],
    status: int,
    field: str,
) -> None:
    await browser.login("ana@example.com", PASSWORD)
    body = {
        "nombre": "Luis", "correo": "luis@example.com", "contraseña": "clave-de-luis-1",
        "telefono": "5598765432", "fecha_nacimiento": "1991-03-15",
        "tipo_usuario": "contador", "database": "org_alfa_contable",
    }  # fmt: skip
    body.update(change)

    response = await browser.post("/auth/users", {k: v for k, v in body.items() if v is not None})

    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["success"] is False
    assert field in {d["field"].removeprefix("body.") for d in answer["details"]}
    assert "Field required" not in answer["message"]
    assert "Input should" not in answer["message"]
    async with db.unit_of_work() as session:
        assert (
            await session.scalar(select(Account).where(Account.email == "luis@example.com"))
        ) is None


async def test_a_name_with_a_line_break_is_kept_on_one_line(
    db: Database, browser: Frontend, alfa: Organization
) -> None:
    await browser.login("ana@example.com", PASSWORD)
    created = await browser.post(
        "/auth/users",
        {"nombre": "Luis\nPérez\r\n", "correo": "luis@example.com",
         "contraseña": "clave-de-luis-1", "tipo_usuario": "contador",
         "database": "org_alfa_contable"},
    )  # fmt: skip
    assert created.status_code == 201
    assert created.json()["data"]["nombre"] == "Luis Pérez"


async def test_the_command_line_adds_an_account_to_a_second_organization_and_removes_it(
    db: Database, client: httpx.AsyncClient, alfa: Organization
) -> None:
    beta = await create_organization(db, "Beta")

    added = cli("add-member", "ANA@example.com", "--org", "org_beta", "--role", "coordinador")
    assert added.returncode == 0, added.stderr
    again = cli("add-member", "ana@example.com", "--org", "Beta", "--role", "contador")
    assert again.returncode == 0, again.stderr  # already a member: the role is set instead
    unknown = cli("add-member", "nadie@example.com", "--org", "Beta")
    assert unknown.returncode == 1
    assert "Traceback" not in unknown.stderr

    async with db.unit_of_work() as session:
        role = await session.scalar(
            select(Membership.role).where(Membership.organization_id == beta.id)
        )
    assert role == "contador"
    assert [e[0] for e in await _events(db)] == ["agregado", "rol_cambiado"]

    last_admin = cli("remove-member", "ana@example.com", "--org", "Alfa Contable")
    assert last_admin.returncode == 1
    assert "administradores" in last_admin.stderr
    removed = cli("remove-member", "ana@example.com", "--org", "Beta")
    assert removed.returncode == 0, removed.stderr
    async with db.unit_of_work() as session:
        left = (await session.scalars(select(Membership.organization_id))).all()
    assert left == [alfa.id]


async def test_membership_changes_take_effect_on_the_next_request(
    db: Database, browser: Frontend, alfa: Organization
) -> None:
    await create_account(db, "berta@example.com", organization=alfa)
    async for berta in _another_browser(db):
        await berta.login("berta@example.com", PASSWORD)
        assert (await berta.get("/automatizaciones")).status_code == 200
        await browser.login("ana@example.com", PASSWORD)
        users = (await browser.get("/auth/users")).json()["data"]["users"]
        berta_id = next(u["id"] for u in users if u["correo"] == "berta@example.com")
        await browser.delete(
            "/auth/users", {"id_usuario": berta_id, "database": "org_alfa_contable"}
        )

        # Her access cookie still names Alfa; the membership, not the cookie, decides.
        assert (await berta.get("/automatizaciones")).status_code == 403
        assert (await berta.get("/auth/users")).status_code == 403
