"""A client shaped like the browser frontend's `fetchAPI`: JSON bodies on every method
(DELETE included), `Content-Type: application/json`, the page's Origin, and whatever cookies
the answers set, sent back as a browser's jar would (HttpOnly is the browser's business)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from clockify_tracker.config import Settings
from clockify_tracker.main import create_app
from tests.fixtures.app import client_for

# Where the frontend's dev server runs (`npx vite --mode test`), proxying /api to the service.
FRONTEND_ORIGIN = "http://localhost:8080"


def frontend_settings(**overrides: Any) -> Settings:
    return Settings(cors_origins=[FRONTEND_ORIGIN], **overrides)


class Frontend:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.http = client

    async def call(self, method: str, endpoint: str, body: Any = None) -> httpx.Response:
        """`fetchAPI(endpoint, {method, body: JSON.stringify(body)})` under `/api`."""
        headers = {"Origin": FRONTEND_ORIGIN, "Content-Type": "application/json"}
        return await self.http.request(
            method, f"/api{endpoint}", json=body if body is not None else None, headers=headers
        )

    async def get(self, endpoint: str) -> httpx.Response:
        return await self.call("GET", endpoint)

    async def post(self, endpoint: str, body: Any = None) -> httpx.Response:
        return await self.call("POST", endpoint, body)

    async def patch(self, endpoint: str, body: Any) -> httpx.Response:
        return await self.call("PATCH", endpoint, body)

    async def delete(self, endpoint: str, body: Any) -> httpx.Response:
        return await self.call("DELETE", endpoint, body)

    async def login(self, correo: str, contraseña: str) -> httpx.Response:
        """AuthContext.login: the Spanish field names."""
        return await self.post("/auth/login", {"correo": correo, "contraseña": contraseña})

    def drop_cookie(self, name: str) -> None:
        """The browser let a cookie expire (its Max-Age ran out)."""
        self.http.cookies.delete(name)

    def replace_cookie(self, name: str, value: str) -> None:
        """The same cookie (domain, path) holding another value."""
        (cookie,) = [c for c in self.http.cookies.jar if c.name == name]
        self.http.cookies.delete(name)
        self.http.cookies.set(name, value, domain=cookie.domain, path=cookie.path)


async def frontend_for(settings: Settings) -> AsyncIterator[Frontend]:
    async for client in client_for(create_app(settings)):
        yield Frontend(client)
