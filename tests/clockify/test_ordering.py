"""Whatever order and however often a time entry's events arrive, the session ends the same."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from clockify_tracker.clockify.ingest import snapshot
from clockify_tracker.clockify.payload import TimeEntryPayload
from clockify_tracker.clockify.reducer import Delivery, Rules, WebhookEvent, rank, replay
from clockify_tracker.kit.db import Database
from clockify_tracker.models import ClockifySession
from tests.clockify.test_webhooks import notifications
from tests.support.clockify import deliver, entry

IN_ORDER = ("start", "end", "edit", "delete")


def bodies(entry_id: str) -> dict[str, dict[str, Any]]:
    """One real-looking life of an entry: started, stopped at 2h, edited to 2h20m, deleted."""
    return {
        "start": entry(entry_id, end=None, duration=None),
        "end": entry(entry_id),
        "edit": entry(
            entry_id, end="2026-11-02T17:20:00Z", duration="PT2H20M", description="Ajuste"
        ),
        "delete": entry(
            entry_id, end="2026-11-02T17:20:00Z", duration="PT2H20M", description="Ajuste"
        ),
    }


def comparable(row: ClockifySession) -> dict[str, Any]:
    state = snapshot(row)
    for volatile in ("id", "external_id", "disabled_at"):
        state.pop(volatile)
    state["disabled"] = row.disabled_at is not None
    return state


async def final_state(
    client: httpx.AsyncClient, db: Database, entry_id: str, order: list[str]
) -> dict[str, Any]:
    lives = bodies(entry_id)
    for event in order:
        response, _ = await deliver(client, db, event, lives[event])
        assert response.status_code in (200, 202), response.text
    async with db.unit_of_work() as session:
        row = await session.scalar(
            select(ClockifySession).where(ClockifySession.external_id == entry_id)
        )
    assert row is not None
    return comparable(row)


async def test_every_arrival_order_with_repeats_ends_like_the_real_order(
    client: httpx.AsyncClient, db: Database
) -> None:
    expected = await final_state(client, db, "6650aa00aa00aa00aa000000", list(IN_ORDER))
    assert expected["enabled"] is False
    assert expected["updating_quantity"] == 1

    shuffler = random.Random(20261123)
    for n, order in enumerate(itertools.permutations(IN_ORDER), start=1):
        arrivals = list(order) + [shuffler.choice(IN_ORDER) for _ in range(2)]
        shuffler.shuffle(arrivals)
        state = await final_state(client, db, f"6650aa00aa00aa00aa00{n:04d}", arrivals)
        assert state == expected, f"arrival order {arrivals}"


async def test_nothing_deleted_comes_back(client: httpx.AsyncClient, db: Database) -> None:
    entry_id = "6650aa00aa00aa00aa00dead"
    lives = bodies(entry_id)
    await deliver(client, db, "end", lives["end"])
    await deliver(client, db, "delete", lives["delete"])
    for event in ("start", "end", "edit"):
        late, outcomes = await deliver(
            client, db, event, {**lives[event], "description": f"tarde {event}"}
        )
        assert late.status_code == 202
        assert outcomes == ["ignored"]
    async with db.unit_of_work() as session:
        row = await session.scalar(
            select(ClockifySession).where(ClockifySession.external_id == entry_id)
        )
    assert row is not None
    assert row.enabled is False
    assert await notifications(db) == ["stopped", "deleted"], "late events notify nobody"


# --- the same property on the pure reducer, over generated entries ---------------------------

RULES = Rules(
    edit_tolerance=timedelta(minutes=5), overtime_seconds=5 * 3600, manual_requires_review=True
)
BASE = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def _payload(start: datetime, end: datetime | None, description: str) -> TimeEntryPayload:
    body = entry(
        "6650aa00aa00aa00aa00beef",
        start=start.isoformat().replace("+00:00", "Z"),
        end=end.isoformat().replace("+00:00", "Z") if end else None,
        duration=f"PT{int((end - start).total_seconds())}S" if end else None,
        description=description,
    )
    return TimeEntryPayload.model_validate(body)


@st.composite
def entry_lives(draw: st.DrawFn) -> tuple[list[Delivery], list[Delivery]]:
    """(in-order deliveries, arrival order with repeats)."""
    length = timedelta(minutes=draw(st.integers(31, 12 * 60)))
    shift = timedelta(minutes=draw(st.integers(-90, 90)))
    stretch = timedelta(minutes=draw(st.integers(-30, 30)))
    events = draw(
        st.lists(st.sampled_from(["start", "end", "edit", "delete"]), min_size=1, unique=True)
    )
    events.sort(key=IN_ORDER.index)
    payloads = {
        "start": _payload(BASE, None, "inicio"),
        "end": _payload(BASE, BASE + length, "inicio"),
        "edit": _payload(
            BASE + shift,
            BASE + shift + length + stretch,
            draw(st.sampled_from(["inicio", "cambio"])),
        ),
        "delete": _payload(BASE + shift, BASE + shift + length + stretch, "inicio"),
    }
    stamp = datetime(2026, 11, 3, tzinfo=UTC)
    in_order = [Delivery(WebhookEvent(e), payloads[e], stamp) for e in events]
    arrivals = draw(
        st.lists(st.sampled_from(in_order), min_size=len(in_order), max_size=3 * len(in_order))
    )
    arrivals += [d for d in in_order if d not in arrivals]
    return in_order, draw(st.permutations(arrivals))


def as_received(arrivals: list[Delivery]) -> list[Delivery]:
    """What the service replays: each distinct delivery once, by rank then first arrival."""
    distinct: list[Delivery] = []
    for delivery in arrivals:
        if delivery not in distinct:
            distinct.append(delivery)
    order = {id(d): n for n, d in enumerate(distinct)}
    return sorted(distinct, key=lambda d: (rank(d.event, d.payload), order[id(d)]))


@settings(max_examples=300, deadline=None)
@given(entry_lives())
def test_replay_does_not_depend_on_arrival_order(
    lives: tuple[list[Delivery], list[Delivery]],
) -> None:
    in_order, arrivals = lives
    expected = replay(in_order, RULES)
    got = replay(as_received(arrivals), RULES)
    assert got == expected
    if any(d.event is WebhookEvent.DELETE for d in in_order):
        assert got is not None
        assert got.enabled is False
