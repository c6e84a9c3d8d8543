"""Errors to responses: one handler per envelope; never a stack trace, SQL text or secret."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from clockify_tracker.exceptions import AppError
from clockify_tracker.kit.logging import redact, request_id_var
from clockify_tracker.kit.web import REQUEST_ID_SCOPE_KEY

log = logging.getLogger(__name__)

# Routes of the platform contract (auth, automations) answer in its `{success, data, message}`
# envelope; failures carry the text under both `message` and `error` (clients read either).
AUTOMATIONS_PREFIX = "/api/automatizaciones"
ENVELOPE_PREFIXES = (AUTOMATIONS_PREFIX, "/api/auth")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def error_response(
    request: Request,
    status_code: int,
    code: str,
    message: str,
    *,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    message = redact(message)
    request_id = request.scope.get(REQUEST_ID_SCOPE_KEY)
    if request_id:
        headers = {**(headers or {}), "X-Request-ID": request_id}
    if request.url.path.startswith(ENVELOPE_PREFIXES):
        body: dict[str, Any] = {
            "success": False,
            "data": None,
            "message": message,
            "error": message,
        }
        if details:
            body["details"] = details
    else:
        body = {"error": message, "code": code}
        if details:
            body["details"] = details
        if request_id:
            body["requestId"] = request_id
    return JSONResponse(body, status_code=status_code, headers=headers)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


async def handle_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    details = exc.details or ([{"field": exc.field, "message": exc.message}] if exc.field else None)
    return error_response(
        request, exc.status_code, exc.code, exc.message, details=details, headers=exc.headers
    )


_SPANISH_REASONS = {
    "missing": "es obligatorio",
    "string_too_short": "no puede estar vacío",
    "string_too_long": "es demasiado largo",
    "string_type": "debe ser texto",
    "int_parsing": "debe ser un número entero",
    "int_type": "debe ser un número entero",
    "greater_than_equal": "está fuera del rango permitido",
    "less_than_equal": "está fuera del rango permitido",
    "bool_parsing": "debe ser true o false",
    "bool_type": "debe ser true o false",
    "date_from_datetime_parsing": "debe ser una fecha AAAA-MM-DD",
    "date_parsing": "debe ser una fecha AAAA-MM-DD",
    "date_type": "debe ser una fecha AAAA-MM-DD",
    "json_invalid": "no es JSON válido",
    "model_attributes_type": "debe ser un objeto JSON",
    "dict_type": "debe ser un objeto JSON",
    "list_type": "debe ser una lista",
}


def _wire_field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in loc]
    return ".".join(parts[1:] if len(parts) > 1 and parts[0] in {"body", "query"} else parts)


def _spanish_reason(error: Any) -> str:
    kind = str(error.get("type", ""))
    if kind == "enum":
        return f"debe ser uno de: {error.get('ctx', {}).get('expected', '')}".replace(" or ", ", ")
    if kind == "value_error" and "email" in str(error.get("msg", "")):
        return "no es un correo válido"
    if kind == "value_error":
        # Our validators' own texts (phone, dates, NUL) are precise; keep them after a word.
        return f"no es válido ({error.get('ctx', {}).get('error', error.get('msg', ''))})"
    return _SPANISH_REASONS.get(kind, f"no es válido ({error.get('msg', '')})")


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"field": _field_path(error.get("loc", ())), "message": str(error.get("msg", "invalid"))}
        for error in exc.errors()
    ]
    if request.url.path.startswith(ENVELOPE_PREFIXES):
        # The platform's screens show `message` to a person: say it in Spanish, per field.
        spanish = "; ".join(
            f"{_wire_field(error.get('loc', ()))}: {_spanish_reason(error)}"
            for error in exc.errors()[:5]
        )
        # The automations contract answers invalid input with 400; auth keeps 422.
        status = 400 if request.url.path.startswith(AUTOMATIONS_PREFIX) else 422
        return error_response(
            request, status, "validation_error", f"Datos inválidos: {spanish}", details=details
        )
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    return error_response(
        request, 422, "validation_error", f"Validation failed: {summary}", details=details
    )


async def handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(
        request, exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None)
    )


# asyncpg's word for "the server went away or cannot take you now": the connection was lost
# mid-statement, a connection-class error (SQLSTATE 08), or an operator intervention (57P: admin
# or crash shutdown, cannot connect now).
_UNREACHABLE: tuple[type[BaseException], ...] = (
    OperationalError,
    OSError,
    TimeoutError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
)


def _is_database_unreachable(exc: BaseException) -> bool:
    """Also when SQLAlchemy wraps the driver's error (`orig`) or it is the cause."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _UNREACHABLE):
            return True
        if isinstance(current, DBAPIError):
            if current.connection_invalidated:
                return True
            orig = current.orig
            current = orig if isinstance(orig, BaseException) else current.__cause__
        else:
            current = current.__cause__
    return False


async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    if _is_database_unreachable(exc):
        log.error("database unavailable: %s", type(exc).__name__)
        return error_response(
            request,
            503,
            "service_unavailable",
            "Database unavailable, try again shortly",
            headers={"Retry-After": "5"},
        )
    token = request_id_var.set(request.scope.get(REQUEST_ID_SCOPE_KEY))
    try:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
    finally:
        request_id_var.reset(token)
    return error_response(request, 500, "internal_error", "Internal server error")


def install_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(Exception, handle_unexpected)


# --- how these envelopes appear in the OpenAPI schema -----------------------------------------

_FIELD_ERROR = {
    "type": "object",
    "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
    "required": ["field", "message"],
}
ERROR_SCHEMAS: dict[str, dict[str, Any]] = {
    "ErrorResponse": {
        "title": "ErrorResponse",
        "type": "object",
        "properties": {
            "error": {"type": "string", "example": "Validation failed: query.startDate: ..."},
            "code": {"type": "string", "example": "validation_error"},
            "details": {"type": "array", "items": _FIELD_ERROR},
            "requestId": {"type": "string"},
        },
        "required": ["error", "code"],
    },
    "EnvelopeError": {
        "title": "EnvelopeError",
        "type": "object",
        "properties": {
            "success": {"type": "boolean", "example": False},
            "data": {"type": "null"},
            "message": {"type": "string"},
            "error": {"type": "string"},
            "details": {"type": "array", "items": _FIELD_ERROR},
        },
        "required": ["success", "message"],
    },
}


def document_error_envelopes(schema: dict[str, Any]) -> None:
    """Show the 422 bodies the handlers really send instead of FastAPI's default shape."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(ERROR_SCHEMAS)
    for path, item in schema.get("paths", {}).items():
        name = "EnvelopeError" if path.startswith(ENVELOPE_PREFIXES) else "ErrorResponse"
        for operation in item.values():
            response = operation.get("responses", {}).get("422")
            if response and "content" in response:
                response["content"] = {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                }
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
