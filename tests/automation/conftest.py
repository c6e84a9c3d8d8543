"""Organizations and accounts for the automations tests: Alfa's administrator (who works),
Alfa's accountant (read-only role), Beta's administrator (another tenant)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from clockify_tracker.kit.db import Database
from clockify_tracker.models import Organization, Role
from tests.support.factories import add_membership, create_account, create_organization, login

BASE = "/api/automatizaciones"


@dataclass(frozen=True)
class Tenants:
    alfa: Organization
    beta: Organization


@pytest.fixture
async def tenants(db: Database) -> Tenants:
    alfa = await create_organization(db, "Alfa Industrias")
    beta = await create_organization(db, "Beta Servicios")
    admin = await create_account(db, "admin@alfa.example", organization=alfa)
    await create_account(db, "conta@alfa.example", organization=alfa, role=Role.CONTADOR)
    await create_account(db, "admin@beta.example", organization=beta)
    await add_membership(db, admin, beta, Role.CONTADOR)  # Alfa's admin only reads in Beta
    return Tenants(alfa, beta)


@pytest.fixture
async def alfa_admin(client: httpx.AsyncClient, tenants: Tenants) -> httpx.AsyncClient:
    assert (await login(client, "admin@alfa.example")).status_code == 200
    return client


def automation(**changes: Any) -> dict[str, Any]:
    return {
        "nombre": "prod_sincronizacion_diaria",
        "descripcion": "Descarga los CFDI del día",
        "script_path": "ok.py",
        "cron_expresion": "0 9 * * 1-5",
        "activo": True,
        "variables_personalizadas": {"rfc": "ABC123456789", "dias": 3, "incluir": True},
        **changes,
    }


async def create(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await client.post(BASE, json=automation(**changes))
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data
