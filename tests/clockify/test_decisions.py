"""A coordinator's decision holds: after an approval or a rejection, the valid times are the
decided ones until the next decision, whatever Clockify delivers meanwhile and in what order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from clockify_tracker.clockify.payload import TimeEntryPayload
from clockify_tracker.clockify.reducer import (
    Delivery,
    Rules,
    SessionState,
    ValidTimes,
    WebhookEvent,
    decision_times,
    rank,
    replay,
)
from clockify_tracker.kit.db import Database
from tests.support.clockify import deliver, entry

SERVICE = {"Authorization": "test-secret-token-value"}


def at(hour: int, minute: int = 0) -> str:
    return f"2026-11-02T{hour:02d}:{minute:02d}:00Z"


async def decide(client: httpx.AsyncClient, external_id: str, approve: bool) -> dict[str, Any]:
    response = await client.post(
        "/api-clockify/sessions/approve",
        params={"externalSesionId": external_id},
        json={"aprobado": approve},
        headers=SERVICE,
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def current(client: httpx.AsyncClient, session_id: int) -> dict[str, Any]:
    response = await client.get(f"/api-clockify/sessions/getById/{session_id}", headers=SERVICE)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def valid(session: dict[str, Any]) -> tuple[datetime | None, datetime | None, str | None]:
    def instant(value: str | None) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)

    return (
        instant(session["validStartDate"]),
        instant(session["validEndDate"]),
        session["validDuration"],
    )


def utc(hour: int) -> datetime:
    return datetime(2026, 11, 2, hour, tzinfo=UTC)


async def test_an_approval_survives_the_next_edit_and_a_rejection_keeps_it(
    client: httpx.AsyncClient, db: Database
) -> None:
    """The issue's sequence: stopped 14-16, moved to 12:00 (review), approved, moved to 11:00
    (review again), rejected. Before the fix the second edit put 14:00 back."""
    entry_id = "6650aa00aa00aa00aa00d001"
    stopped = entry(entry_id, start=at(14), end=at(16), duration="PT2H")
    assert (await deliver(client, db, "end", stopped))[1] == ["created"]
    edited = entry(entry_id, start=at(12), end=at(16), duration="PT4H")
    assert (await deliver(client, db, "edit", edited))[1] == ["updated"]

    approved = await decide(client, entry_id, approve=True)
    session_id = approved["idSesion"]
    assert approved["status"] == "APROBADO"
    assert approved["message"] == "Sesión aprobada correctamente"
    assert valid(approved) == (utc(12), utc(16), "PT4H")

    moved_again = entry(entry_id, start=at(11), end=at(16), duration="PT5H")
    assert (await deliver(client, db, "edit", moved_again))[1] == ["updated"]
    in_review = await current(client, session_id)
    assert in_review["status"] == "EN OBSERVACION"
    assert in_review["startDate"].startswith("2026-11-02T11:00:00")
    assert valid(in_review) == (utc(12), utc(16), "PT4H"), "the approval still holds"

    rejected = await decide(client, entry_id, approve=False)
    assert rejected["status"] == "REPROBADO"
    assert rejected["message"] == "Sesión reprobada correctamente"
    assert valid(rejected) == (utc(12), utc(16), "PT4H"), "the approved times, not 14:00"

    # Later deliveries (a repeat, a description change) change nothing about it either.
    assert (await deliver(client, db, "edit", moved_again))[0].json()["outcome"] == "duplicate"
    renamed = {**moved_again, "description": "Planeación corregida"}
    assert (await deliver(client, db, "edit", renamed))[1] == ["updated"]
    after = await current(client, session_id)
    assert (after["status"], after["description"]) == ("REPROBADO", "Planeación corregida")
    assert valid(after) == (utc(12), utc(16), "PT4H")

    history = await client.get(
        f"/api-clockify/session-binnacle/getByIdSession/{session_id}", headers=SERVICE
    )
    assert [e["event"] for e in history.json()] == [
        "edit", "rejection", "edit", "approval", "edit", "end",
    ]  # fmt: skip


# --- the reducer and the decision rules, over generated histories ------------------------------

RULES = Rules(
    edit_tolerance=timedelta(minutes=5), overtime_seconds=5 * 3600, manual_requires_review=True
)
ENTRY = "6650aa00aa00aa00aa00d0ff"
START = datetime(2026, 11, 2, 14, tzinfo=UTC)
IN_REVIEW = "EN OBSERVACION"


def _payload(start: int, end: int | None, description: str = "Planeación") -> TimeEntryPayload:
    """Minutes after 14:00Z; `end` None: running."""

    def iso(minutes: int) -> str:
        return (START + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")

    body = entry(
        ENTRY,
        start=iso(start),
        end=iso(end) if end is not None else None,
        duration=f"PT{(end - start) * 60}S" if end is not None else None,
        description=description,
    )
    return TimeEntryPayload.model_validate(body)


def _times(start: int, end: int) -> ValidTimes:
    return ValidTimes(
        START + timedelta(minutes=start), START + timedelta(minutes=end), (end - start) * 60
    )


STAMP = datetime(2026, 11, 3, tzinfo=UTC)
STARTED = Delivery(WebhookEvent.START, _payload(0, None), STAMP)
STOPPED = Delivery(WebhookEvent.END, _payload(0, 120), STAMP)
ORIGINAL = _times(0, 120)


@dataclass
class Service:
    """What the service keeps between deliveries, reduced to what decides the valid times:
    the distinct deliveries in arrival order, and the last decision (row + binnacle)."""

    received: list[Delivery] = field(default_factory=list)
    decided: ValidTimes | None = None
    decision: str | None = None
    reviewed: int | None = None

    def receive(self, delivery: Delivery) -> None:
        if delivery not in self.received:  # the inbox keeps one of each distinct delivery
            self.received.append(delivery)

    def state(self) -> SessionState:
        arrival = {id(d): n for n, d in enumerate(self.received)}
        ordered = sorted(self.received, key=lambda d: (rank(d.event, d.payload), arrival[id(d)]))
        state = replay(ordered, RULES, self.decided)
        assert state is not None
        return state

    def status(self, state: SessionState) -> str:
        """ingest.effective_status, on the same inputs."""
        reviewed = self.reviewed if self.reviewed is not None else -1
        if state.needs_review and (self.decision is None or reviewed < state.time_edits):
            return IN_REVIEW
        return self.decision or "APROBADO"

    def decide(self, approve: bool) -> bool:
        """session_service.decide: refused (409) unless in review."""
        state = self.state()
        if self.status(state) != IN_REVIEW:
            return False
        self.decided = decision_times(
            approve=approve,
            current=ValidTimes.current(state.fields),
            accepted=ValidTimes.accepted(state),
        )
        self.decision = "APROBADO" if approve else "REPROBADO"
        self.reviewed = state.time_edits
        return True


# An action: ("edit", start, end, description) a new edit of the stopped entry (minutes after
# 14:00, moved in steps of 10 so never within the 5-minute tolerance); ("again", n) the n-th
# delivery so far arriving again; ("start",) the start arriving (late); ("decide", approve).
Action = tuple[Any, ...]

edits = st.tuples(
    st.just("edit"),
    st.integers(-12, 6).map(lambda k: 10 * k),
    st.integers(-6, 12).map(lambda k: 120 + 10 * k),
    st.sampled_from(["Planeación", "Ajuste"]),
)
actions = st.lists(
    st.one_of(
        edits,
        st.tuples(st.just("again"), st.integers(0, 30)),
        st.just(("start",)),
        st.tuples(st.just("decide"), st.booleans()),
    ),
    max_size=25,
)


@settings(max_examples=250, deadline=None)
@given(start_first=st.booleans(), plan=actions)
def test_the_valid_times_are_the_last_decisions_whatever_arrives(
    start_first: bool, plan: list[Action]
) -> None:
    service = Service()
    for first in [STARTED, STOPPED] if start_first else [STOPPED]:
        service.receive(first)
    arrived: list[Delivery] = list(service.received)
    # The oracle, kept apart from the reducer: the times the coordinator is looking at are the
    # newest edit's (edits of a stopped entry apply in arrival order), else the stop's.
    shown = ORIGINAL
    expected = ORIGINAL
    moved_since_decision = False
    for action in plan:
        if action[0] == "edit":
            _, start, end, description = action
            end = max(end, start + 10)
            delivery = Delivery(WebhookEvent.EDIT, _payload(start, end, description), STAMP)
            if delivery not in service.received:
                moved_since_decision |= _times(start, end) != shown
                shown = _times(start, end)
            service.receive(delivery)
            arrived.append(delivery)
        elif action[0] == "again":
            service.receive(arrived[action[1] % len(arrived)])
        elif action[0] == "start":
            service.receive(STARTED)
            arrived.append(STARTED)
        else:
            approve = action[1]
            if service.decide(approve):
                expected = shown if approve else expected
                moved_since_decision = False
                assert service.decided == expected
        state = service.state()
        assert ValidTimes.accepted(state) == expected, (action, service.decision)
        assert ValidTimes.current(state.fields) == shown
        if moved_since_decision:
            assert service.status(state) == IN_REVIEW, "changed times wait for a decision"


def test_an_approval_while_running_is_completed_by_the_stop() -> None:
    """The one thing a delivery adds to a decision: the end it could not know."""
    service = Service()
    service.receive(STARTED)
    service.receive(Delivery(WebhookEvent.EDIT, _payload(-120, None), STAMP))  # start to 12:00
    assert service.decide(approve=True)
    assert service.decided == ValidTimes(START - timedelta(hours=2), None, None)

    service.receive(Delivery(WebhookEvent.END, _payload(-120, 120), STAMP))

    assert ValidTimes.accepted(service.state()) == _times(-120, 120)
    later = Delivery(WebhookEvent.EDIT, _payload(-180, 120), STAMP)  # start to 11:00
    service.receive(later)
    assert ValidTimes.accepted(service.state()) == _times(-120, 120)
    assert service.status(service.state()) == IN_REVIEW
