"""An execution's live status: what `/status` shows while a script runs. Events come from the
`@@SAT_PROGRESS` lines the script prints (script_helpers/sat_progress.py); the state lives in
Redis while it matters and its final form is kept in the log row."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from clockify_tracker.automation.metadata import slug

MARKER = "@@SAT_PROGRESS "
MAX_MESSAGES = 50
FINISHED_TTL_SECONDS = 24 * 3600
# Run status -> the live status the frontend polls on (it stops on anything but running).
LIVE_STATUS = {
    "pendiente": "running",
    "en_ejecucion": "running",
    "exitoso": "completed",
    "advertencia": "completed",
    "error": "error",
    "omitida": "error",
    "perdida": "error",
}


def status_key(execution_id: str) -> str:
    return f"automation:status:{execution_id}"


def cancel_key(execution_id: str) -> str:
    return f"automation:cancel:{execution_id}"


def _now() -> str:
    return datetime.now(UTC).isoformat()


def initial_state(
    execution_id: str, organization_id: int, organization: str, started_at: datetime | None
) -> dict[str, Any]:
    return {
        "execution_id": execution_id,
        "organization_id": organization_id,
        "organizacion": organization,
        "started_at": started_at.isoformat() if started_at else None,
        "updated_at": _now(),
        "status": "running",
        "current_phase": None,
        "progress": {"percentage": 0, "items_processed": 0, "items_total": 0},
        "phases_completed": [],
        "messages": [],
        "error": None,
    }


class LiveProgress:
    """Applies events to the state and writes it through `save`."""

    def __init__(
        self,
        state: dict[str, Any],
        phases: list[dict[str, Any]],
        save: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        self.state = state
        self._phases = {phase["id"]: phase for phase in phases}
        self._by_name = {slug(phase["nombre"]): phase["id"] for phase in phases}
        self._save = save

    def _phase_id(self, given: Any) -> str:
        text = str(given or "")
        return text if text in self._phases else self._by_name.get(slug(text), slug(text))

    def _message(self, level: str, text: str) -> None:
        messages = self.state["messages"]
        messages.append({"timestamp": _now(), "level": level, "message": text[:2000]})
        del messages[:-MAX_MESSAGES]

    def _percentage(self) -> int:
        progress = self.state["progress"]
        ratio = (
            min(1.0, progress["items_processed"] / progress["items_total"])
            if progress["items_total"]
            else 0.0
        )
        if not self._phases:
            return round(ratio * 100)
        weights = {pid: float(phase["peso"]) for pid, phase in self._phases.items()}
        done = sum(weights.get(pid, 0.0) for pid in self.state["phases_completed"])
        current = self.state["current_phase"]
        if current is not None:
            done += weights.get(current["id"], 0.0) * ratio
        return min(99, round(done / sum(weights.values()) * 100))

    async def apply(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        state = self.state
        progress = state["progress"]
        if kind == "phase_start":
            phase_id = self._phase_id(event.get("id"))
            known = self._phases.get(phase_id, {})
            state["current_phase"] = {
                "id": phase_id,
                "nombre": known.get("nombre", str(event.get("id") or phase_id)),
                "descripcion": known.get("descripcion", ""),
                "started_at": _now(),
            }
            progress.update(items_processed=0, items_total=0)
        elif kind == "phase_complete":
            current = state["current_phase"]
            phase_id = current["id"] if current else self._phase_id(event.get("id"))
            if phase_id and phase_id not in state["phases_completed"]:
                state["phases_completed"].append(phase_id)
            state["current_phase"] = None
            progress.update(items_processed=0, items_total=0)
        elif kind == "progress":
            progress["items_processed"] = max(0, int(event.get("items_processed") or 0))
            progress["items_total"] = max(0, int(event.get("items_total") or 0))
        elif kind == "log":
            level = str(event.get("level") or "info")
            self._message(level if level in ("info", "warning", "error") else "info",
                          str(event.get("message") or ""))  # fmt: skip
        elif kind == "finish":
            if event.get("message"):
                self._message("info", str(event["message"]))
        elif kind == "fail":
            state["error"] = str(event.get("error") or "")[:2000]
            self._message("error", state["error"])
        else:
            return
        progress["percentage"] = self._percentage()
        state["updated_at"] = _now()
        await self._save(state)

    async def finish(self, run_status: str, error: str | None, cancelled: bool) -> None:
        state = self.state
        state["status"] = "cancelled" if cancelled else LIVE_STATUS.get(run_status, "error")
        state["current_phase"] = None
        if state["status"] == "completed":
            state["progress"]["percentage"] = 100
        if error and state["status"] != "completed":
            state["error"] = error
        state["updated_at"] = _now()
        await self._save(state)


def parse_marker(line: str) -> dict[str, Any] | None:
    """The event on a marker line; None for any other line (or a broken marker)."""
    if not line.startswith(MARKER):
        return None
    try:
        event = json.loads(line[len(MARKER) :])
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


async def save_state(redis: Redis, state: dict[str, Any], ttl: int) -> None:
    await redis.set(status_key(state["execution_id"]), json.dumps(state), ex=ttl)


async def load_state(redis: Redis, execution_id: str) -> dict[str, Any] | None:
    raw = await redis.get(status_key(execution_id))
    if raw is None:
        return None
    loaded: dict[str, Any] = json.loads(raw)
    return loaded
