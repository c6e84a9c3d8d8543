"""What the emails say: every kind renders both bodies, times are local with the zone named,
durations are hours and minutes, and user text is escaped in HTML."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from clockify_tracker.email.content import (
    SESSION_KINDS,
    automation_failure,
    hours_minutes,
    report_delivery,
    session_notification,
)


def snapshot(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": 1, "external_id": "6650aa00aa00aa00aa00aa01",
        "description": "<b>Planeación</b> & co", "project_name": "Kabisa", "task_name": None,
        "start_at": "2026-11-03T05:30:00+00:00", "end_at": "2026-11-03T07:35:00+00:00",
        "duration_seconds": 7500, "time_zone": "America/Mexico_City", "status": "APROBADO",
        "valid_start_at": "2026-11-03T05:30:00+00:00", "valid_end_at": "2026-11-03T07:35:00+00:00",
        "valid_duration_seconds": 7500, "updating_quantity": 0, "overtime": False,
        "observation": None,
    }  # fmt: skip
    values.update(overrides)
    return values


def context(**session: Any) -> dict[str, Any]:
    return {
        "session": snapshot(**session),
        "user": {"id": 1, "name": "Ana Pérez", "email": "ana@example.com", "notify": True},
        "overtime_hours": 5.0,
    }


@pytest.mark.parametrize("kind", sorted(SESSION_KINDS))
@pytest.mark.parametrize("audience", ["coordinators", "user"])
def test_every_session_kind_renders_both_bodies(kind: str, audience: Any) -> None:
    content = session_notification(kind, {**context(), "actor": "coord@example.com"}, audience)
    assert content.subject.startswith(f"Clockify - {SESSION_KINDS[kind].label} - Ana Pérez")
    for body in (content.text, content.html):
        assert "6650aa00aa00aa00aa00aa01" in body
        assert "Sin tarea" in body


def test_times_are_local_with_the_zone_named_across_a_utc_midnight() -> None:
    """05:30 UTC on the 3rd is 23:30 on the 2nd in Mexico City."""
    content = session_notification("stopped", context(), "user")
    assert "02/11/2026 23:30 (America/Mexico_City)" in content.text
    assert "03/11/2026 01:35 (America/Mexico_City)" in content.text
    assert "(2026-11-02 23:30)" in content.subject
    assert "2 h 05 min" in content.text


def test_user_text_is_escaped_in_html_and_kept_in_text() -> None:
    content = session_notification("started", context(), "coordinators")
    assert "&lt;b&gt;Planeación&lt;/b&gt; &amp; co" in content.html
    assert "<b>Planeación</b>" not in content.html
    assert "<b>Planeación</b> & co" in content.text


def test_an_edit_in_review_shows_before_and_after() -> None:
    before = snapshot()
    ctx = {
        **context(end_at="2026-11-03T08:35:00+00:00", duration_seconds=11100,
                  status="EN OBSERVACION", updating_quantity=1),
        "before": before,
    }  # fmt: skip
    content = session_notification("review", ctx, "coordinators")
    assert "Fin: 03/11/2026 01:35 (America/Mexico_City) -> 03/11/2026 02:35" in content.text
    assert "Duración: 2 h 05 min -> 3 h 05 min" in content.text
    assert "EN OBSERVACION" in content.html
    assert "Descripción:" not in content.text.split("Cambios:")[1].split("\n\n")[0]


def test_the_service_token_is_named_as_coordination_never_as_its_value() -> None:
    ctx = {**context(), "actor": "token:SECRET_TOKEN"}
    content = session_notification("approved", ctx, "coordinators")
    assert "Coordinación (API con token de servicio)" in content.text


def test_durations_are_hours_and_minutes() -> None:
    assert hours_minutes(0) == "0 h 00 min"
    assert hours_minutes(59 * 60 + 31) == "1 h 00 min"
    assert hours_minutes(36 * 3600 + 7 * 60) == "36 h 07 min"
    assert hours_minutes(None) == ""


def test_report_and_automation_failure_render() -> None:
    report = report_delivery(
        report_type="weekly", person="Ana <Pérez>", first_day=date(2026, 11, 2),
        last_day=date(2026, 11, 8), sessions=12, worked_seconds=40 * 3600, filename="r.xlsx",
    )  # fmt: skip
    assert report.subject == "Reporte semanal de Clockify - Ana <Pérez>"
    assert "del 02/11/2026 al 08/11/2026" in report.text
    assert "Ana &lt;Pérez&gt;" in report.html
    failure = automation_failure(
        automation="prod_sync", organization="Acme", execution_id="42",
        started_at=datetime(2026, 11, 3, 5, 30, tzinfo=UTC),
        zone=ZoneInfo("America/Mexico_City"), exit_code=None, error="<script>x</script>",
    )  # fmt: skip
    assert failure.subject == "Automatización con error - prod_sync - (2026-11-02 23:30)"
    assert "&lt;script&gt;" in failure.html
    assert "sin código" in failure.text
