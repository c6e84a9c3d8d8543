"""Report windows in local days, and when a scheduled period is due."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clockify_tracker.report.periods import (
    Period,
    due_periods,
    expected_hours,
    previous_month,
    previous_week,
)

MX = ZoneInfo("America/Mexico_City")
CATCH_UP = timedelta(hours=48)


@pytest.mark.parametrize(
    ("today", "first", "last"),
    [
        (date(2026, 12, 7), date(2026, 11, 30), date(2026, 12, 6)),  # Monday: the week before
        (date(2026, 12, 6), date(2026, 11, 23), date(2026, 11, 29)),  # Sunday: still this week
        (date(2027, 1, 4), date(2026, 12, 28), date(2027, 1, 3)),  # across the year's end
        (date(2026, 3, 2), date(2026, 2, 23), date(2026, 3, 1)),  # across a month's end
    ],
)
def test_the_weekly_window_is_the_previous_monday_to_sunday(
    today: date, first: date, last: date
) -> None:
    assert previous_week(today) == Period("weekly", first, last)


@pytest.mark.parametrize(
    ("today", "first", "last"),
    [
        (date(2027, 1, 1), date(2026, 12, 1), date(2026, 12, 31)),  # January: last December
        (date(2024, 3, 15), date(2024, 2, 1), date(2024, 2, 29)),  # leap February
        (date(2026, 3, 1), date(2026, 2, 1), date(2026, 2, 28)),
    ],
)
def test_the_monthly_window_is_the_previous_calendar_month(
    today: date, first: date, last: date
) -> None:
    assert previous_month(today) == Period("monthly", first, last)


def test_the_weekly_report_is_due_from_monday_seven_local() -> None:
    before = datetime(2026, 12, 7, 6, 59, tzinfo=MX)
    at = datetime(2026, 12, 7, 7, 0, tzinfo=MX)

    assert due_periods(before, 7, CATCH_UP) == []
    ((period, send_at),) = due_periods(at, 7, CATCH_UP)
    assert period == Period("weekly", date(2026, 11, 30), date(2026, 12, 6))
    assert send_at == at


def test_a_missed_send_is_caught_up_within_the_window_and_skipped_after_it() -> None:
    late = datetime(2026, 12, 8, 18, 0, tzinfo=MX)  # Tuesday: beat was down on Monday
    too_late = datetime(2026, 12, 9, 7, 1, tzinfo=MX)

    assert [p.kind for p, _ in due_periods(late, 7, CATCH_UP)] == ["weekly"]
    assert due_periods(too_late, 7, CATCH_UP) == []


def test_both_reports_are_due_when_the_first_is_a_monday() -> None:
    now = datetime(2027, 2, 1, 7, 30, tzinfo=MX)  # Monday 1 February 2027

    due = {period.kind: period for period, _ in due_periods(now, 7, CATCH_UP)}

    assert due["weekly"] == Period("weekly", date(2027, 1, 25), date(2027, 1, 31))
    assert due["monthly"] == Period("monthly", date(2027, 1, 1), date(2027, 1, 31))


def test_the_first_before_the_send_hour_is_not_yet_the_new_month() -> None:
    now = datetime(2027, 1, 1, 6, 0, tzinfo=MX)  # a Friday

    assert due_periods(now, 7, timedelta(days=40)) == [
        (Period("monthly", date(2026, 11, 1), date(2026, 11, 30)),
         datetime(2026, 12, 1, 7, tzinfo=MX)),
        (Period("weekly", date(2026, 12, 21), date(2026, 12, 27)),
         datetime(2026, 12, 28, 7, tzinfo=MX)),
    ][::-1]  # fmt: skip


def test_expected_hours_prorate_the_monthly_quota_by_day() -> None:
    november = Period("monthly", date(2026, 11, 1), date(2026, 11, 30))
    across = Period("weekly", date(2026, 11, 30), date(2026, 12, 6))  # 1 day of 30, 6 of 31

    assert expected_hours(160, november) == 160
    assert expected_hours(160, across) == round(160 / 30 + 6 * 160 / 31, 2)
    assert expected_hours(None, november) is None
