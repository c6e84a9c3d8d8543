"""Report periods in local days: which window a report covers, and when it is due."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta


@dataclass(frozen=True)
class Period:
    kind: str  # weekly, monthly, custom
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def week_from(first_day: date) -> Period:
    """Seven local days from `first_day` (the seed's `start_date`)."""
    return Period("weekly", first_day, first_day + timedelta(days=6))


def previous_week(today: date) -> Period:
    """Monday to Sunday of the week before the one `today` is in."""
    monday = today - timedelta(days=today.weekday())
    return week_from(monday - timedelta(days=7))


def month(year: int, number: int) -> Period:
    last = calendar.monthrange(year, number)[1]
    return Period("monthly", date(year, number, 1), date(year, number, last))


def previous_month(today: date) -> Period:
    last_of_previous = today.replace(day=1) - timedelta(days=1)
    return month(last_of_previous.year, last_of_previous.month)


def due_periods(
    now: datetime, send_hour: int, catch_up: timedelta
) -> list[tuple[Period, datetime]]:
    """The scheduled periods whose send time (Monday or the 1st at `send_hour`, in `now`'s zone)
    has come and is at most `catch_up` ago, with that send time. Asked every minute, this is
    the schedule itself; a beat that was down at that hour catches up, one that was down longer
    skips the period rather than send a stale report."""
    zone = now.tzinfo
    today = now.date()
    monday = today - timedelta(days=today.weekday())
    weekly_at = datetime.combine(monday, time(send_hour), zone)
    if weekly_at > now:
        weekly_at -= timedelta(days=7)
    monthly_at = datetime.combine(today.replace(day=1), time(send_hour), zone)
    if monthly_at > now:
        monthly_at = datetime.combine(previous_month(today).start, time(send_hour), zone)
    candidates = [
        (previous_week(weekly_at.date()), weekly_at),
        (previous_month(monthly_at.date()), monthly_at),
    ]
    return [(period, at) for period, at in candidates if now - at <= catch_up]


def expected_hours(hours_per_month: int | None, period: Period) -> float | None:
    """A monthly quota prorated by day: each day of the period counts 1/(days in its month)."""
    if hours_per_month is None:
        return None
    total = 0.0
    day = period.start
    while day <= period.end:
        total += hours_per_month / calendar.monthrange(day.year, day.month)[1]
        day += timedelta(days=1)
    return round(total, 2)
