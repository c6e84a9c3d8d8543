"""FastAPI plumbing shared by every domain: app state, the per-request transaction, request ids."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clockify_tracker.config import Settings
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.logging import request_id_var
from clockify_tracker.kit.outbox import OutboxDispatcher


@dataclass
class AppState:
    settings: Settings
    database: Database
    redis: Redis
    dispatcher: OutboxDispatcher


async def get_app_state(request: Request) -> AppState:
    # async on purpose: FastAPI runs a plain `def` dependency in a worker thread, which cost
    # more than the whole database insert of a webhook.
    state: AppState = request.app.state.services
    return state


async def _request_transaction(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's one transaction: committed after the endpoint returns and before the
    response is sent; outbox rows it wrote are handed to Celery after the commit."""
    services = await get_app_state(request)
    async with services.database.unit_of_work() as session:
        yield session
    services.dispatcher.after_commit(session)


DbSession = Annotated[AsyncSession, Depends(_request_transaction, scope="function")]
Services = Annotated[AppState, Depends(get_app_state)]

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
REQUEST_ID_SCOPE_KEY = "clockify_tracker.request_id"


class RequestIdMiddleware:
    """Takes a sane `X-Request-ID` or makes one; logs and the response carry it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID_OK.match(incoming) else uuid.uuid4().hex
        # Also in the scope: the 500 handler runs outside this middleware, after the reset.
        scope[REQUEST_ID_SCOPE_KEY] = request_id
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                if not any(name.lower() == b"x-request-id" for name, _ in headers):
                    headers.append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
