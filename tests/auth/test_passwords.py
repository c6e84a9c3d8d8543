"""The password rule: length (12 for administrators), no repeats, no common or keyboard words;
applied wherever a password is set: sign-up, the Usuarios screen, the command line."""

from __future__ import annotations

import httpx
import pytest

from clockify_tracker.auth.passwords import password_problem
from clockify_tracker.kit.db import Database
from clockify_tracker.models import Organization
from tests.auth.test_cli import cli
from tests.support.factories import PASSWORD, create_account, create_organization, login
from tests.support.frontend import Frontend, frontend_for, frontend_settings


@pytest.mark.parametrize(
    "password",
    ["aaaaaaaaaaaa", " " * 12, "abababababab", "Password2024!", "qwerty123456", "1234567890",
     "0987654321", "abcdefghijkl", "Contraseña123", "administrador1"],
)  # fmt: skip
def test_weak_passwords_are_refused_with_a_reason(password: str) -> None:
    assert password_problem(password, administrator=False) is not None


@pytest.mark.parametrize(
    "password", ["correct-horse-battery-staple", "mi gato come pasto", "Ventana7Azul"]
)
def test_ordinary_passphrases_pass(password: str) -> None:
    assert password_problem(password, administrator=True) is None


def test_administrators_need_twelve_characters() -> None:
    assert password_problem("luna-sol-93", administrator=False) is None
    problem = password_problem("luna-sol-93", administrator=True)
    assert problem is not None
    assert "12" in problem


@pytest.fixture
async def alfa(db: Database) -> Organization:
    organization = await create_organization(db, "Alfa")
    await create_account(db, "ana@example.com", organization=organization)
    return organization


async def test_the_usuarios_screen_applies_the_administrators_rule(
    db: Database, alfa: Organization
) -> None:
    async for browser in frontend_for(frontend_settings()):
        await browser.login("ana@example.com", PASSWORD)
        body = {
            "nombre": "Bea",
            "correo": "bea@example.com",
            "contraseña": "luna-sol-93",
            "tipo_usuario": "administrador",
            "database": "org_alfa",
        }
        refused = await browser.post("/auth/users", body)
        assert refused.status_code == 400
        assert "12" in refused.json()["message"]
        assert refused.json()["details"][0]["field"] == "contraseña"
        accepted = await browser.post("/auth/users", {**body, "tipo_usuario": "contador"})
        assert accepted.status_code == 201, accepted.text


async def test_sign_up_refuses_a_repeated_character(db: Database) -> None:
    async for browser in frontend_for(frontend_settings(registration_enabled=True)):
        response = await Frontend.post(
            browser,
            "/auth/register",
            {"organizacion": "Nueva", "nombre": "Eva", "correo": "eva@example.com",
             "contraseña": "aaaaaaaaaaaaaaaa"},
        )  # fmt: skip
        assert response.status_code == 400
        assert "repetidos" in response.json()["message"]


async def test_the_command_line_refuses_a_weak_administrator_password(
    db: Database, client: httpx.AsyncClient, alfa: Organization
) -> None:
    weak = cli("set-password", "ana@example.com", password="qwerty123456")
    short = cli("set-password", "ana@example.com", password="luna-sol-93")

    assert weak.returncode == short.returncode == 1
    assert "predecible" in weak.stderr
    assert "12" in short.stderr
    assert (await login(client)).status_code == 200, "the old password still works"
