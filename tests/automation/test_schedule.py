"""Next-run computation: standard cron semantics in America/Mexico_City."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from clockify_tracker.automation.schedule import describe, latest_at_or_before, next_after, validate

MX = ZoneInfo("America/Mexico_City")
SATURDAY = datetime(2026, 12, 5, 10, 7, tzinfo=MX)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("*/15 * * * *", SATURDAY, datetime(2026, 12, 5, 10, 15, tzinfo=MX)),
        ("0 9 * * 1-5", SATURDAY, datetime(2026, 12, 7, 9, 0, tzinfo=MX)),  # to Monday
        ("0 0 1 * *", SATURDAY, datetime(2027, 1, 1, 0, 0, tzinfo=MX)),  # across the year
        # Both day fields restricted: the 13th OR a Friday, whichever comes first.
        ("0 0 13 * 5", SATURDAY, datetime(2026, 12, 11, 0, 0, tzinfo=MX)),
        ("0 0 13 * 5", datetime(2026, 12, 11, 1, 0, tzinfo=MX), datetime(2026, 12, 13, tzinfo=MX)),
        ("0 0 * * 0", SATURDAY, datetime(2026, 12, 6, 0, 0, tzinfo=MX)),  # Sunday as 0
        ("0 0 * * 7", SATURDAY, datetime(2026, 12, 6, 0, 0, tzinfo=MX)),  # and as 7
        ("0 0 29 2 *", SATURDAY, datetime(2028, 2, 29, 0, 0, tzinfo=MX)),  # next leap day
        ("0 0 31 2 *", SATURDAY, None),  # never: manual only
    ],
)
def test_next_run(expression: str, after: datetime, expected: datetime | None) -> None:
    assert next_after(validate(expression), after, MX) == expected


def test_the_next_run_is_strictly_after_and_the_latest_includes_now() -> None:
    at_nine = datetime(2026, 12, 7, 9, 0, tzinfo=MX)
    assert next_after("0 9 * * *", at_nine, MX) == datetime(2026, 12, 8, 9, 0, tzinfo=MX)
    assert latest_at_or_before("0 9 * * *", at_nine, MX) == at_nine


def test_utc_moments_are_evaluated_in_the_business_zone() -> None:
    utc_midnight = datetime(2026, 12, 7, 6, 0, tzinfo=ZoneInfo("UTC"))  # 00:00 in Mexico City
    assert next_after("0 1 * * *", utc_midnight, MX) == datetime(2026, 12, 7, 1, 0, tzinfo=MX)


@pytest.mark.parametrize(
    "expression", ["* * * *", "* * * * * *", "@hourly", "60 * * * *", "* 24 * * *", "x * * * *"]
)
def test_only_five_valid_fields_are_accepted(expression: str) -> None:
    with pytest.raises(ValueError, match="Formato de expresión cron inválido"):
        validate(expression)


def test_descriptions_are_spanish() -> None:
    assert describe("0 9 * * 1-5") == "A las 09:00, de lunes a viernes"
    assert describe("30 8 1 1,7 *") == "A las 08:30, el día 1 del mes, sólo en enero y julio"


@pytest.mark.parametrize("spelling", ["manual", "MANUAL", "  Manual ", "\tmanual\n"])
def test_manual_in_any_case_is_valid_stored_lower_case_and_never_runs(spelling: str) -> None:
    expression = validate(spelling)

    assert expression == "manual"
    assert next_after(expression, SATURDAY, MX) is None
    assert latest_at_or_before(expression, SATURDAY, MX) is None
    assert describe(expression) == "Solo manual: no se ejecuta de forma programada"


@pytest.mark.parametrize("expression", ["manually", "manual *", "solo manual", "man ual"])
def test_only_the_word_manual_alone_is_accepted(expression: str) -> None:
    with pytest.raises(ValueError, match="Formato de expresión cron inválido"):
        validate(expression)
