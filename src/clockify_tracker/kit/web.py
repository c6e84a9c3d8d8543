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


MAX_HEADER_BYTES = 32 * 1024
# JSON bodies of this API are small; webhooks keep their own limit (WEBHOOK_MAX_BODY_BYTES),
# checked after the signature so an unauthenticated caller learns nothing.
MAX_BODY_BYTES = 1024 * 1024
_OWN_BODY_LIMIT = ("/api-clockify/webhook", "/webhook/clockify")


class RequestLimitsMiddleware:
    """431 for headers over MAX_HEADER_BYTES in all (the server, httptools, sets no limit);
    413 for a body over MAX_BODY_BYTES, declared or counted as it arrives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Imported here: the error envelopes module imports this one.
        from clockify_tracker.exception_handlers import error_response

        headers = scope["headers"]
        if sum(len(name) + len(value) for name, value in headers) > MAX_HEADER_BYTES:
            response = error_response(
                Request(scope), 431, "request_header_fields_too_large",
                f"Las cabeceras de la petición pasan de {MAX_HEADER_BYTES // 1024} KiB",
            )  # fmt: skip
            await response(scope, receive, send)
            return
        if scope["path"].startswith(_OWN_BODY_LIMIT):
            await self.app(scope, receive, send)
            return
        too_large = f"El cuerpo de la petición pasa de {MAX_BODY_BYTES // 1024} KiB"
        declared = dict(headers).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            response = error_response(Request(scope), 413, "payload_too_large", too_large)
            await response(scope, receive, send)
            return
        # Read the (small) body first and replay it: a limit hit while the app reads it would
        # surface as FastAPI's generic 400, not a 413.
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > MAX_BODY_BYTES:
                response = error_response(Request(scope), 413, "payload_too_large", too_large)
                await response(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
