"""Cron schedules: standard 5-field syntax evaluated in the business time zone.

Day-of-month and day-of-week combine with OR when both are restricted (as in cron), Sunday is 0
or 7, and a valid expression that never matches (`0 0 31 2 *`) has no next run.

`manual` (any case, stored lower-case) is the other valid value: an automation that only runs
when someone asks (POST /ejecutar). It has no next run and no tick; lower-case because that is
the spelling the browser client recognises when it shows the schedule.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from cron_descriptor import ExpressionDescriptor, Options  # type: ignore[import-untyped]
from croniter import CroniterBadDateError, croniter  # type: ignore[import-untyped]

INVALID = "Formato de expresión cron inválido"
MANUAL = "manual"
MANUAL_DESCRIPTION = "Solo manual: no se ejecuta de forma programada"


def is_manual(expression: str) -> bool:
    return expression == MANUAL


def validate(expression: str) -> str:
    """`manual` for "manual" in any case, else the expression with its fields single-spaced;
    ValueError(INVALID) unless it is exactly five valid fields (no @macros, no seconds or
    years)."""
    if expression.strip().lower() == MANUAL:
        return MANUAL
    fields = expression.split()
    if len(fields) != 5 or not croniter.is_valid(" ".join(fields)):
        raise ValueError(INVALID)
    return " ".join(fields)


def next_after(expression: str, moment: datetime, zone: ZoneInfo) -> datetime | None:
    """The first time strictly after `moment` that the expression matches, or None (also for
    `manual`)."""
    if is_manual(expression):
        return None
    try:
        found: datetime = croniter(expression, moment.astimezone(zone)).get_next(datetime)
    except CroniterBadDateError:
        return None
    return found


def latest_at_or_before(expression: str, moment: datetime, zone: ZoneInfo) -> datetime | None:
    """The last matching time not after `moment` (a tick due exactly now counts)."""
    if is_manual(expression):
        return None
    try:
        found: datetime = croniter(
            expression, moment.astimezone(zone) + timedelta(seconds=1)
        ).get_prev(datetime)
    except CroniterBadDateError:
        return None
    return found


_SPANISH = {
    "Monday": "lunes", "Tuesday": "martes", "Wednesday": "miércoles", "Thursday": "jueves",
    "Friday": "viernes", "Saturday": "sábado", "Sunday": "domingo",
    "January": "enero", "February": "febrero", "March": "marzo", "April": "abril",
    "May": "mayo", "June": "junio", "July": "julio", "August": "agosto",
    "September": "septiembre", "October": "octubre", "November": "noviembre",
    "December": "diciembre",
}  # fmt: skip
_ENGLISH_NAMES = re.compile(r"\b(" + "|".join(_SPANISH) + r")\b")


def describe(expression: str) -> str:
    """A Spanish sentence for the schedule ("A las 09:00, de lunes a viernes")."""
    if is_manual(expression):
        return MANUAL_DESCRIPTION
    options = Options()
    options.locale_code = "es_ES"
    options.use_24hour_time_format = True
    text: str = ExpressionDescriptor(expression, options).get_description()
    # The library's Spanish leaves day and month names in English.
    return _ENGLISH_NAMES.sub(lambda match: _SPANISH[match.group(1)], text)
