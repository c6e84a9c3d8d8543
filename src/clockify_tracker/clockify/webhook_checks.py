"""Webhook request checks, in order: signature (401), content type (415), size (413), JSON
(400), time-entry shape (422). Each refusal writes its error_log row; only authenticated
requests have their body kept there. Plain functions: the webhook routes bypass FastAPI's
dependency layer (see webhook_endpoints.py)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from fastapi import Request
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
from clockify_tracker.kit.web import AppState

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
# Compared against when nothing was sent, so a missing header goes through the same comparison
# as a wrong one (bench/token_timing.py: it is a few ns cheaper, for the encode it skips, which
# says nothing about the secret).
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
    raw_body: bytes


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


async def _parse(request: Request, services: AppState) -> tuple[bytes, TimeEntryPayload]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise UnsupportedMediaTypeError(
            "Content-Type debe ser application/json", field="content-type"
        )
    raw = await _read_limited(request, services.settings.webhook_max_body_bytes)
    if b"\\u0000" in raw:
        # PostgreSQL's JSONB cannot hold it; Clockify never sends it.
        raise _with_body(
            UnprocessableError("El cuerpo contiene caracteres NUL (\\u0000)", field="body"), raw
        )
    try:
        # Parsed and validated in one pass from the bytes (pydantic-core's JSON parser).
        payload = TimeEntryPayload.model_validate_json(raw)
    except ValidationError as exc:
        invalid_json = next((e for e in exc.errors() if e["type"] == "json_invalid"), None)
        if invalid_json is not None:
            message = f"El cuerpo no es JSON válido: {invalid_json['msg']}"
            raise _with_body(BadRequestError(message, field="body"), raw) from None
        details = _validation_details(exc)
        fields = ", ".join(d["field"] for d in details[:5])
        raise _with_body(
            UnprocessableError(
                f"No es una entrada de tiempo de Clockify: revisa {fields}", details=details
            ),
            raw,
        ) from None
    return raw, payload


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
        raw, payload = await _parse(request, services)
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
    return WebhookDelivery(event, payload, raw)


def _signature(request: Request) -> str | None:
    return request.headers.get("clockify-signature")


async def accept_request(
    event: WebhookEvent, request: Request, services: AppState
) -> WebhookDelivery:
    """A webhook request for `event`, checked: signature, content type, size, JSON, shape."""
    return await _accept(event, _signature(request), request, services)


async def accept_routed_request(request: Request, services: AppState) -> WebhookDelivery:
    """The same, for the path routed by the Clockify-Webhook-Event-Type header."""
    event_type = request.headers.get("clockify-webhook-event-type")
    event = EVENT_TYPE_HEADER_VALUES.get((event_type or "").strip().upper())
    signature = _signature(request)
    if event is None:
        # Unknown or missing event: the signature still decides between 401 and 422, so the
        # header cannot be used to probe without a token.
        if not any(signature_matches(e, signature, services.settings) for e in WebhookEvent):
            raise UnauthorizedError("Firma de webhook inválida")
        raise UnprocessableError(
            f"Evento de webhook no soportado: {event_type!r}", field="Clockify-Webhook-Event-Type"
        )
    return await _accept(event, signature, request, services)
