"""Clockify webhook receivers: the first implementation's paths, the seed README's paths, and
one path routed by the Clockify-Webhook-Event-Type header.

No `from __future__ import annotations` here: the handlers are made in a closure, and FastAPI
must see `Depends(dependency)` evaluated, not as a string naming a closure variable."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from clockify_tracker.clockify.ingest import accept_delivery
from clockify_tracker.clockify.payload import TimeEntryPayload
from clockify_tracker.clockify.reducer import WebhookEvent
from clockify_tracker.clockify.schemas import WebhookAccepted
from clockify_tracker.clockify.webhook_dependencies import (
    WebhookDelivery,
    delivery_for,
    routed_delivery,
)
from clockify_tracker.kit.web import Services

router = APIRouter(tags=["clockify webhooks"])

_ROUTES = {
    "start": (WebhookEvent.START, "Timer started (NEW_TIMER_STARTED)"),
    "end": (WebhookEvent.END, "Timer stopped (TIMER_STOPPED)"),
    "edit": (WebhookEvent.EDIT, "Time entry edited (TIME_ENTRY_UPDATED)"),
    "delete": (WebhookEvent.DELETE, "Time entry deleted (TIME_ENTRY_DELETED)"),
    "manual": (WebhookEvent.MANUAL, "Time entry created by hand (NEW_TIME_ENTRY)"),
}
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": TimeEntryPayload.model_json_schema(by_alias=True),
                "example": TimeEntryPayload.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
            }
        },
    }
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "A repeat of a delivery already received: nothing changes"},
    401: {"description": "Missing or wrong Clockify-Signature (the same answer for both)"},
    400: {"description": "The body is not JSON"},
    413: {"description": "The body is larger than WEBHOOK_MAX_BODY_BYTES (1 MiB)"},
    415: {"description": "Content-Type is not application/json"},
    422: {"description": "The body is not a Clockify time entry; the fields are named"},
}


def _handler(
    dependency: Callable[..., Awaitable[WebhookDelivery]],
) -> Callable[..., Awaitable[JSONResponse]]:
    async def receive(
        delivery: Annotated[WebhookDelivery, Depends(dependency)], services: Services
    ) -> JSONResponse:
        accepted = await accept_delivery(
            services.database, services.dispatcher, delivery.event, delivery.payload, delivery.body
        )
        # Built directly (the hot path): the response model only documents the shape.
        if accepted.duplicate:
            duplicate = WebhookAccepted(
                message="Evento ya recibido", outcome="duplicate", deliveryId=None
            )
            return JSONResponse(duplicate.model_dump(), status_code=200)
        stored = WebhookAccepted(
            message="Evento recibido", outcome="accepted", deliveryId=accepted.delivery_id
        )
        return JSONResponse(stored.model_dump(), status_code=202)

    return receive


for _prefix in ("/api-clockify/webhook", "/webhook/clockify"):
    for _name, (_event, _summary) in _ROUTES.items():
        _fn = _handler(delivery_for(_event))
        _fn.__doc__ = (
            f"{_summary}: validated and stored, then applied by the worker (session, binnacle, "
            "notifications); a repeated delivery is recognised."
        )
        router.add_api_route(
            f"{_prefix}/{_name}",
            _fn,
            methods=["POST"],
            summary=_summary,
            response_model=WebhookAccepted,
            status_code=202,
            responses=_RESPONSES,
            openapi_extra=_BODY,
            name=f"webhook_{_name}{'_seed' if _prefix.startswith('/webhook') else ''}",
        )

_routed = _handler(routed_delivery)
_routed.__doc__ = "Any time-entry event, routed by the Clockify-Webhook-Event-Type header."
router.add_api_route(
    "/api-clockify/webhook",
    _routed,
    methods=["POST"],
    summary="Any time-entry event, routed by Clockify-Webhook-Event-Type",
    response_model=WebhookAccepted,
    status_code=202,
    responses=_RESPONSES,
    openapi_extra=_BODY,
    name="webhook_routed",
)
