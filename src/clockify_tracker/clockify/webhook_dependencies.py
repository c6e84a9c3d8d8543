"""Webhook request checks, in order: signature (401), content type (415), size (413), JSON (400),
time-entry shape (422). Each refusal writes its error_log row; only authenticated requests
have their body kept there."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header, Request, Security
from fastapi.security import APIKeyHeader
from pydantic import ValidationError

from clockify_tracker.clockify import error_log
from clockify_tracker.clockify.payload import TimeEntryPayload
from clockify_tracker.clockify.reducer import WebhookEvent
from clockify_tracker.config import Settings
from clockify_tracker.exceptions import (
    AppError,
    BadRequestError,
    PayloadTooLargeError,
    UnauthorizedError,
    UnprocessableError,
    UnsupportedMediaTypeError,
)
from clockify_tracker.kit.web import AppState, Services

signature_header = APIKeyHeader(
    name="Clockify-Signature",
    auto_error=False,
    scheme_name="clockify_signature",
    description="The webhook's signing secret: CLOCKIFY_SECRET_TOKEN_START, _END, _EDIT, "
    "_DELETE or _MANUAL_CREATE, each for its own endpoint.",
)

EVENT_TYPE_HEADER_VALUES: dict[str, WebhookEvent] = {
    "NEW_TIMER_STARTED": WebhookEvent.START,
    "TIMER_STOPPED": WebhookEvent.END,
    "TIME_ENTRY_UPDATED": WebhookEvent.EDIT,
    "TIME_ENTRY_DELETED": WebhookEvent.DELETE,
    "NEW_TIME_ENTRY": WebhookEvent.MANUAL,
    "TIME_ENTRY_RESTORED": WebhookEvent.RESTORE,
}

_TOKEN_SETTING = {
    WebhookEvent.START: "clockify_secret_token_start",
    WebhookEvent.END: "clockify_secret_token_end",
    WebhookEvent.EDIT: "clockify_secret_token_edit",
    WebhookEvent.DELETE: "clockify_secret_token_delete",
    WebhookEvent.MANUAL: "clockify_secret_token_manual_create",
    WebhookEvent.RESTORE: "clockify_secret_token_restore",
}
# Compared against when nothing was sent, so a missing header costs what a wrong one does.
_NOTHING = b"\x00" * 32


def signature_matches(event: WebhookEvent, signature: str | None, settings: Settings) -> bool:
    expected = getattr(settings, _TOKEN_SETTING[event]).get_secret_value().encode()
    given = signature.encode() if signature is not None else _NOTHING
    matches = hmac.compare_digest(given, expected or _NOTHING)
    return matches and bool(expected) and signature is not None


@dataclass(frozen=True)
class WebhookDelivery:
    event: WebhookEvent
    payload: TimeEntryPayload
    body: dict[str, Any]


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"El cuerpo supera el máximo de {limit} bytes")
    size, chunks = 0, []
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"El cuerpo supera el máximo de {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(p) for p in error["loc"]) or "body", "message": error["msg"]}
        for error in exc.errors()
    ]


async def _parse(
    request: Request, services: AppState
) -> tuple[bytes, dict[str, Any], TimeEntryPayload]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise UnsupportedMediaTypeError(
            "Content-Type debe ser application/json", field="content-type"
        )
    raw = await _read_limited(request, services.settings.webhook_max_body_bytes)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _with_body(
            BadRequestError(f"El cuerpo no es JSON válido: {exc}", field="body"), raw
        ) from None
    if not isinstance(body, dict):
        raise _with_body(BadRequestError("El cuerpo debe ser un objeto JSON", field="body"), raw)
    try:
        payload = TimeEntryPayload.model_validate(body)
    except ValidationError as exc:
        details = _validation_details(exc)
        fields = ", ".join(d["field"] for d in details[:5])
        raise _with_body(
            UnprocessableError(
                f"No es una entrada de tiempo de Clockify: revisa {fields}", details=details
            ),
            raw,
        ) from None
    return raw, body, payload


def _with_body(error: AppError, raw: bytes) -> AppError:
    error.raw_body = raw  # type: ignore[attr-defined]
    return error


async def _accept(
    event: WebhookEvent, signature: str | None, request: Request, services: AppState
) -> WebhookDelivery:
    endpoint, method, client = request.url.path, request.method, _client(request)
    if not signature_matches(event, signature, services.settings):
        await error_log.record_unauthenticated(
            services, endpoint=endpoint, method=method, client_address=client
        )
        raise UnauthorizedError("Firma de webhook inválida")
    try:
        _, body, payload = await _parse(request, services)
    except AppError as exc:
        await error_log.record(
            services,
            endpoint=endpoint,
            method=method,
            status_code=exc.status_code,
            message=exc.message,
            client_address=client,
            raw_body=getattr(exc, "raw_body", None),
        )
        raise
    return WebhookDelivery(event, payload, body)


def delivery_for(event: WebhookEvent) -> Callable[..., Awaitable[WebhookDelivery]]:
    async def dependency(
        request: Request,
        services: Services,
        signature: Annotated[str | None, Security(signature_header)] = None,
    ) -> WebhookDelivery:
        return await _accept(event, signature, request, services)

    return dependency


async def routed_delivery(
    request: Request,
    services: Services,
    event_type: Annotated[
        str | None,
        Header(
            alias="Clockify-Webhook-Event-Type",
            description="NEW_TIMER_STARTED, TIMER_STOPPED, TIME_ENTRY_UPDATED, "
            "TIME_ENTRY_DELETED, NEW_TIME_ENTRY (or TIME_ENTRY_RESTORED when configured)",
        ),
    ] = None,
    signature: Annotated[str | None, Security(signature_header)] = None,
) -> WebhookDelivery:
    event = EVENT_TYPE_HEADER_VALUES.get((event_type or "").strip().upper())
    if event is None:
        # Unknown or missing event: the signature still decides between 401 and 422, so the
        # header cannot be used to probe without a token.
        if not any(signature_matches(e, signature, services.settings) for e in WebhookEvent):
            raise UnauthorizedError("Firma de webhook inválida")
        raise UnprocessableError(
            f"Evento de webhook no soportado: {event_type!r}", field="Clockify-Webhook-Event-Type"
        )
    return await _accept(event, signature, request, services)
