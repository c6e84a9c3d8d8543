"""Clockify webhook receivers: the first implementation's paths, the seed README's paths, and
one path routed by the Clockify-Webhook-Event-Type header.

These are plain Starlette routes, not FastAPI path operations: the webhook is the hot path, and
FastAPI's dependency and serialisation layer cost more than everything the request itself does
(bench/ingest.py). They pass through the same middleware and error handlers as every route, and
`document_webhooks` describes them in the OpenAPI schema so Swagger UI shows and can call them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clockify_tracker.clockify.ingest import accept_delivery
from clockify_tracker.clockify.payload import TimeEntryPayload
from clockify_tracker.clockify.reducer import WebhookEvent
from clockify_tracker.clockify.schemas import WebhookAccepted
from clockify_tracker.clockify.webhook_checks import (
    EVENT_TYPE_HEADER_VALUES,
    WebhookDelivery,
    accept_request,
    accept_routed_request,
)
from clockify_tracker.kit.web import AppState

_EVENTS = {
    "start": (WebhookEvent.START, "Timer started (NEW_TIMER_STARTED)"),
    "end": (WebhookEvent.END, "Timer stopped (TIMER_STOPPED)"),
    "edit": (WebhookEvent.EDIT, "Time entry edited (TIME_ENTRY_UPDATED)"),
    "delete": (WebhookEvent.DELETE, "Time entry deleted (TIME_ENTRY_DELETED)"),
    "manual": (WebhookEvent.MANUAL, "Time entry created by hand (NEW_TIME_ENTRY)"),
}
_PREFIXES = ("/api-clockify/webhook", "/webhook/clockify")
ROUTED_PATH = "/api-clockify/webhook"
TAG = "clockify webhooks"


async def _store(request: Request, delivery: WebhookDelivery, services: AppState) -> Response:
    accepted = await accept_delivery(
        services.database, services.dispatcher, delivery.event, delivery.payload, delivery.raw_body
    )
    if accepted.duplicate:
        duplicate = WebhookAccepted(
            message="Evento ya recibido", outcome="duplicate", deliveryId=None
        )
        return JSONResponse(duplicate.model_dump(), status_code=200)
    stored = WebhookAccepted(
        message="Evento recibido", outcome="accepted", deliveryId=accepted.delivery_id
    )
    return JSONResponse(stored.model_dump(), status_code=202)


def _endpoint_for(event: WebhookEvent) -> Callable[[Request], Awaitable[Response]]:
    async def receive(request: Request) -> Response:
        services: AppState = request.app.state.services
        return await _store(request, await accept_request(event, request, services), services)

    return receive


async def _receive_routed(request: Request) -> Response:
    services: AppState = request.app.state.services
    return await _store(request, await accept_routed_request(request, services), services)


webhook_routes: list[Route] = [
    Route(f"{prefix}/{name}", _endpoint_for(event), methods=["POST"], name=f"webhook_{name}_{n}")
    for n, prefix in enumerate(_PREFIXES)
    for name, (event, _) in _EVENTS.items()
] + [Route(ROUTED_PATH, _receive_routed, methods=["POST"], name="webhook_routed")]


# --- OpenAPI -----------------------------------------------------------------------------------

_ERRORS = {
    "401": "Missing or wrong Clockify-Signature (the same answer for both)",
    "400": "The body is not JSON",
    "413": "The body is larger than WEBHOOK_MAX_BODY_BYTES (1 MiB)",
    "415": "Content-Type is not application/json",
    "422": "The body is not a Clockify time entry; the fields are named",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _operation(summary: str, operation_id: str, secret: str) -> dict[str, Any]:
    example = TimeEntryPayload.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    return {
        "tags": [TAG],
        "summary": summary,
        "description": (
            "Checked (signature, content type, size, JSON, time-entry shape), stored, and "
            "answered; a worker then applies it (session, binnacle, notifications). A repeated "
            f"delivery is recognised. Signature: `{secret}`."
        ),
        "operationId": operation_id,
        "security": [{"clockify_signature": []}],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _ref("TimeEntryPayload"), "example": example}
            },
        },
        "responses": {
            "202": {
                "description": "Stored; it will be applied within moments",
                "content": {"application/json": {"schema": _ref("WebhookAccepted")}},
            },
            "200": {
                "description": "A repeat of a delivery already received: nothing changes",
                "content": {"application/json": {"schema": _ref("WebhookAccepted")}},
            },
            **{code: {"description": text} for code, text in _ERRORS.items()},
        },
    }


_SECRETS = {
    WebhookEvent.START: "CLOCKIFY_SECRET_TOKEN_START",
    WebhookEvent.END: "CLOCKIFY_SECRET_TOKEN_END",
    WebhookEvent.EDIT: "CLOCKIFY_SECRET_TOKEN_EDIT",
    WebhookEvent.DELETE: "CLOCKIFY_SECRET_TOKEN_DELETE",
    WebhookEvent.MANUAL: "CLOCKIFY_SECRET_TOKEN_MANUAL_CREATE",
}


def document_webhooks(schema: dict[str, Any]) -> None:
    """Add the webhook routes, their body and response models and the signature scheme."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for model in (TimeEntryPayload, WebhookAccepted):
        model_schema = model.model_json_schema(
            by_alias=True, ref_template="#/components/schemas/{model}"
        )
        schemas.update(model_schema.pop("$defs", {}))
        schemas[model.__name__] = model_schema
    components.setdefault("securitySchemes", {})["clockify_signature"] = {
        "type": "apiKey",
        "in": "header",
        "name": "Clockify-Signature",
        "description": "The webhook's signing secret, each endpoint its own "
        "(CLOCKIFY_SECRET_TOKEN_START, _END, _EDIT, _DELETE, _MANUAL_CREATE).",
    }
    paths = schema.setdefault("paths", {})
    for n, prefix in enumerate(_PREFIXES):
        for name, (event, summary) in _EVENTS.items():
            operation = _operation(summary, f"webhook_{name}_{n}", _SECRETS[event])
            paths[f"{prefix}/{name}"] = {"post": operation}
    routed = _operation(
        "Any time-entry event, routed by Clockify-Webhook-Event-Type",
        "webhook_routed",
        "the secret of the event named in the header",
    )
    routed["parameters"] = [
        {
            "name": "Clockify-Webhook-Event-Type",
            "in": "header",
            "required": True,
            "schema": {"type": "string", "enum": sorted(EVENT_TYPE_HEADER_VALUES)},
        }
    ]
    paths[ROUTED_PATH] = {"post": routed}
