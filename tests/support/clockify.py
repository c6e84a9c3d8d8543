"""Clockify bodies and deliveries for tests: the shared real fixtures, and variations of them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from clockify_tracker.clockify import ingest
from clockify_tracker.config import Settings
from clockify_tracker.kit.db import Database
from clockify_tracker.models import ClockifyEvent
from tests.support.services import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "data" / "clockify"
SHARED_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "clockify"
TOKENS = {
    "start": "clockify_secret_token_start",
    "end": "clockify_secret_token_end",
    "edit": "clockify_secret_token_edit",
    "delete": "clockify_secret_token_delete",
    "manual": "clockify_secret_token_manual_create",
}


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def token(event: str, settings: Settings | None = None) -> str:
    value: str = getattr(settings or Settings(), TOKENS[event]).get_secret_value()
    return value


def entry(
    entry_id: str = "6650aa00aa00aa00aa00aa01",
    *,
    start: str = "2026-11-02T15:00:00Z",
    end: str | None = "2026-11-02T17:00:00Z",
    duration: str | None = "PT2H",
    description: str = "Planeación",
    user_id: str = "6650bb00bb00bb00bb00bb01",
    workspace_id: str = "6650cc00cc00cc00cc00cc01",
    **extra: Any,
) -> dict[str, Any]:
    """A realistic body, built from the real 2022 capture with the given values."""
    body = copy.deepcopy(fixture("timer_stopped_1.json"))
    body.update(id=entry_id, description=description, userId=user_id, workspaceId=workspace_id)
    body["user"] = {"id": user_id, "name": "Ana Pérez", "status": "ACTIVE"}
    body["timeInterval"] = {"start": start, "end": end, "duration": duration}
    body["currentlyRunning"] = end is None
    body.update(extra)
    return body


async def send(
    client: httpx.AsyncClient,
    event: str,
    body: dict[str, Any] | bytes,
    *,
    signature: str | None = None,
    prefix: str = "/api-clockify/webhook",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    all_headers["Clockify-Signature"] = signature if signature is not None else token(event)
    return await client.post(f"{prefix}/{event}", content=content, headers=all_headers)


async def last_delivery_id(db: Database, entry_id: str) -> int:
    async with db.unit_of_work() as session:
        found = await session.scalar(
            select(func.max(ClockifyEvent.id)).where(ClockifyEvent.entry_id == entry_id)
        )
    return int(found or 0)


async def process(db: Database, entry_id: str, *, since: int | None = None) -> list[str]:
    """Apply an entry's stored deliveries, as the worker's task does, in this process.

    Without `since`: the outcomes of what this call applied. With `since` (a delivery id):
    the outcomes of every delivery after it, whoever applied it; the suite's worker, when it
    runs, may apply a delivery before this call does, and holding the entry's lock here means
    it has committed by then."""
    async with db.unit_of_work() as session:
        results = await ingest.process_entry(session, Settings(), entry_id)
    if since is None:
        return [result.outcome for result in results]
    async with db.unit_of_work() as session:
        outcomes = await session.scalars(
            select(ClockifyEvent.outcome)
            .where(ClockifyEvent.entry_id == entry_id, ClockifyEvent.id > since)
            .order_by(ClockifyEvent.id)
        )
        return [str(outcome) for outcome in outcomes]


async def deliver(
    client: httpx.AsyncClient, db: Database, event: str, body: dict[str, Any], **kwargs: Any
) -> tuple[httpx.Response, list[str]]:
    """Send a delivery and apply it: (the webhook's response, what applying it did)."""
    since = await last_delivery_id(db, body["id"])
    response = await send(client, event, body, **kwargs)
    outcomes = await process(db, body["id"], since=since) if response.status_code < 300 else []
    return response, outcomes


def shared_fixtures() -> list[Path]:
    """Every real body: the repository's copies, plus any newer ones in ../shared."""
    found = {p.name: p for p in FIXTURES.glob("*.json")}
    if SHARED_FIXTURES.is_dir():
        found.update({p.name: p for p in SHARED_FIXTURES.glob("*.json") if p.name not in found})
    return sorted(p for name, p in found.items() if not name.endswith(".request.json"))
