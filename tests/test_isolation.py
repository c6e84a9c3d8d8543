"""The tenant-isolation matrix: an account of organization B asks for A's objects by id, by
search and by listing, on every endpoint that exposes organization data, and never gets them.

Each later domain adds its rows to CASES: (name, method, path, json body or None, query or None).
`{a_*}` placeholders are filled with A's objects created by `seed`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from clockify_tracker.kit.db import Database
from clockify_tracker.models import Organization
from tests.support.factories import create_account, create_organization, login


@dataclass(frozen=True)
class Seed:
    a: Organization
    b: Organization

    def values(self) -> dict[str, Any]:
        return {
            "a_name": self.a.name,
            "a_slug": self.a.slug,
            "a_database": self.a.database_name,
            "a_id": self.a.id,
        }


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
]


def fill(value: Any, seed: Seed) -> Any:
    if isinstance(value, str):
        return value.format(**seed.values())
    if isinstance(value, dict):
        return {key: fill(item, seed) for key, item in value.items()}
    return value


@pytest.fixture
async def seed(db: Database) -> Seed:
    a = await create_organization(db, "Alfa Industrias")
    b = await create_organization(db, "Beta Servicios")
    await create_account(db, "a@example.com", organization=a)
    await create_account(db, "b@example.com", organization=b)
    return Seed(a, b)


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

    assert response.status_code in {200, 403, 404}, response.text
    text = response.text
    for marker in (seed.a.name, seed.a.slug, seed.a.database_name):
        assert marker not in text, f"{name}: A's {marker!r} leaked to B"
    if response.status_code == 200:
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
