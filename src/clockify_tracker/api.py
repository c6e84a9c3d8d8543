"""The URL map at a glance: every domain router is included here and only here."""

from __future__ import annotations

from fastapi import APIRouter

from clockify_tracker.auth.endpoints import router as auth_router
from clockify_tracker.automation.endpoints import router as automations_router
from clockify_tracker.clockify.error_log_endpoints import errors as error_log_router
from clockify_tracker.clockify.session_endpoints import binnacle as binnacle_router
from clockify_tracker.clockify.session_endpoints import sessions as sessions_router
from clockify_tracker.clockify.user_endpoints import users as users_router
from clockify_tracker.clockify.webhook_endpoints import webhook_routes
from clockify_tracker.email.endpoints import emails as emails_router
from clockify_tracker.email.endpoints import test_email as test_email_router
from clockify_tracker.health.endpoints import router as health_router
from clockify_tracker.organization.member_endpoints import router as members_router
from clockify_tracker.report.endpoints import legacy_reports as legacy_reports_router
from clockify_tracker.report.endpoints import reports as reports_router

# Plain Starlette routes mounted first, ahead of every FastAPI route: the Clockify webhooks,
# the hot path (see clockify/webhook_endpoints.py for why they bypass FastAPI's layer).
hot_routes = [*webhook_routes]

api_router = APIRouter()
api_router.include_router(health_router)
api_router.include_router(auth_router)
api_router.include_router(members_router)
api_router.include_router(sessions_router)
api_router.include_router(binnacle_router)
api_router.include_router(users_router)
api_router.include_router(error_log_router)
api_router.include_router(emails_router)
api_router.include_router(test_email_router)
api_router.include_router(reports_router)
api_router.include_router(legacy_reports_router)
api_router.include_router(automations_router)
