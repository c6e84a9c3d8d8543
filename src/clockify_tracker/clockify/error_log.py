"""Recording refused and failed requests in error_log, in a transaction of their own (the
request's transaction is rolled back when it fails)."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from clockify_tracker.kit.logging import redact, request_id_var
from clockify_tracker.kit.web import AppState
from clockify_tracker.models import ErrorLog

log = logging.getLogger(__name__)

MAX_STORED_BODY = 1_048_576
_UNAUTHENTICATED_ROW_EVERY_SECONDS = 60


async def record(
    services: AppState,
    *,
    endpoint: str,
    method: str,
    status_code: int,
    message: str,
    client_address: str | None,
    raw_body: bytes | None = None,
) -> None:
    body_text = (
        raw_body.decode("utf-8", errors="replace").replace("\x00", "\\u0000")[:MAX_STORED_BODY]
        if raw_body
        else None
    )
    try:
        async with services.database.unit_of_work() as session:
            session.add(
                ErrorLog(
                    endpoint=endpoint,
                    method=method,
                    status_code=status_code,
                    message=redact(message).replace("\x00", "\\u0000")[:2000],
                    raw_body=redact(body_text) if body_text else None,
                    client_address=client_address,
                    request_id=request_id_var.get(),
                )
            )
    except Exception:
        log.warning("could not write error_log row for %s", endpoint, exc_info=True)


async def record_unauthenticated(
    services: AppState, *, endpoint: str, method: str, client_address: str | None
) -> None:
    """At most one row per path and address a minute: an unauthenticated caller must not be
    able to fill the database. Never the body, never the token."""
    key = f"webhook:unauthenticated:{endpoint}:{client_address}"
    try:
        first = await services.redis.set(key, 1, nx=True, ex=_UNAUTHENTICATED_ROW_EVERY_SECONDS)
    except (RedisError, OSError):
        return
    if first:
        await record(
            services,
            endpoint=endpoint,
            method=method,
            status_code=401,
            message="invalid or missing Clockify-Signature",
            client_address=client_address,
        )
