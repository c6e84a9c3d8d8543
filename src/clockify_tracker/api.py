"""The URL map at a glance: every domain router is included here and only here."""

from __future__ import annotations

from fastapi import APIRouter

from clockify_tracker.auth.endpoints import router as auth_router
from clockify_tracker.clockify.webhook_endpoints import router as webhook_router
from clockify_tracker.health.endpoints import router as health_router

api_router = APIRouter()
# Webhooks first: they are the hot path, and routes are matched in order.
api_router.include_router(webhook_router)
api_router.include_router(health_router)
api_router.include_router(auth_router)
