from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from clockify_tracker.health.schemas import Liveness, Readiness
from clockify_tracker.health.service import check_dependencies
from clockify_tracker.kit.web import Services

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process is up", response_model=Liveness)
async def healthz() -> Liveness:
    """Answers 200 while the process runs; checks nothing else."""
    return Liveness(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: PostgreSQL and Redis are reachable",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A dependency is down; it is named"}},
)
async def readyz(services: Services) -> Readiness | JSONResponse:
    """200 when PostgreSQL and Redis both answer; 503 naming what is down otherwise."""
    checks = await check_dependencies(services.database, services.redis)
    down = [name for name, state in checks.items() if state != "ok"]
    if not down:
        return Readiness(status="ok", checks=checks)
    body = Readiness(status="unavailable", checks=checks, message=f"{' and '.join(down)} is down")
    return JSONResponse(body.model_dump(), status_code=503)
