"""create_app(): lifespan (engine, redis, outbox dispatcher), middleware, handlers, routers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from redis.asyncio import Redis

from clockify_tracker.api import api_router, hot_routes
from clockify_tracker.clockify.webhook_endpoints import document_webhooks
from clockify_tracker.config import Settings, get_settings
from clockify_tracker.exception_handlers import (
    document_error_envelopes,
    install_exception_handlers,
)
from clockify_tracker.kit.celery_app import create_celery_app
from clockify_tracker.kit.db import Database
from clockify_tracker.kit.logging import configure_logging
from clockify_tracker.kit.outbox import CeleryPublisher, OutboxDispatcher, Publisher
from clockify_tracker.kit.web import AppState, RequestIdMiddleware, RequestLimitsMiddleware

DESCRIPTION = """
Receives Clockify time-entry webhooks, keeps an append-only audit log (the *binnacle*),
flags edits for coordinator review and overtime, sends notifications and Excel reports,
and runs each organization's scheduled automations.
"""


def create_app(
    app_settings: Settings | None = None, *, publisher: Publisher | None = None
) -> FastAPI:
    """Build the ASGI app. `publisher` replaces the Celery hand-over (tests use a dead broker)."""
    app_settings = app_settings or get_settings()
    configure_logging(
        level=app_settings.log_level,
        json_output=app_settings.log_json,
        secrets=app_settings.secret_values(),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(app_settings.database_url, pool_size=app_settings.db_pool_size)
        redis = Redis.from_url(
            app_settings.redis_url.get_secret_value(),
            socket_connect_timeout=2,
            socket_timeout=2,
        )
        publishing_app = None
        job_publisher = publisher
        if job_publisher is None:
            publishing_app = create_celery_app(app_settings)
            job_publisher = CeleryPublisher(publishing_app)
        dispatcher = OutboxDispatcher(database, job_publisher)
        app.state.services = AppState(
            settings=app_settings, database=database, redis=redis, dispatcher=dispatcher
        )
        # Everything alive now (modules, models, settings) lives as long as the process: keep
        # it out of the collector's full scans, which otherwise show up as latency spikes.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await dispatcher.aclose()
            if publishing_app is not None:
                publishing_app.close()  # its broker connection pool
            await redis.aclose()
            await database.dispose()

    app = FastAPI(
        title="clockify-tracker",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        redirect_slashes=False,
    )
    install_exception_handlers(app)
    if app_settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=app_settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(RequestLimitsMiddleware)
    app.add_middleware(RequestIdMiddleware)
    app.router.routes.extend(hot_routes)
    app.include_router(api_router)
    _document_hot_routes(app)
    return app


def _document_hot_routes(app: FastAPI) -> None:
    """Add what FastAPI cannot see (the Starlette webhook routes) and the real error bodies."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            document_webhooks(schema)
            document_error_envelopes(schema)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
