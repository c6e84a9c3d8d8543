"""Excel workbooks of sessions, streamed row by row: no database, settings or Celery.

openpyxl's write-only mode serialises each row as it is appended, so memory does not grow with
the number of sessions; callers pass generators. Excel has no time zones: times are written as
naive local wall-clock values and the "Zona horaria" column names the zone.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import MethodType
from typing import Any, BinaryIO

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.cell.cell import (  # type: ignore[import-untyped]
    ERROR_CODES,
    ILLEGAL_CHARACTERS_RE,
    Cell,
)
from openpyxl.chart import BarChart, Reference  # type: ignore[import-untyped]
from openpyxl.styles import Font, PatternFill  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

WEEKDAYS_ES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


@dataclass(frozen=True)
class ReportSession:
    local_start: datetime  # timezone-aware, already in the session's own zone
    local_end: datetime | None  # aware; None while running
    time_zone: str  # IANA name, e.g. "America/Mexico_City"
    project: str | None
    task: str | None
    description: str
    worked_seconds: int  # for a running session: up to generation time
    valid_seconds: int | None  # approved duration; None when there is none
    overtime: bool
    status: str | None  # "APROBADO", "EN OBSERVACION", "REPROBADO" or None (manual, pending)
    edits: int
    running: bool


@dataclass(frozen=True)
class ReportUser:
    name: str
    email: str | None
    expected_hours: float | None  # already prorated for the period; None = no quota


@dataclass(frozen=True)
class ReportPeriod:
    kind: str  # "semanal", "mensual" or "personalizado"
    start: date  # first local day, inclusive
    end: date  # last local day, inclusive


@dataclass(frozen=True)
class UserTotals:
    user: ReportUser
    sessions: int
    worked_seconds: int
    valid_seconds: int
    overtime_sessions: int
    in_review: int
    days_worked: int


_DATE_FORMAT = "dd/mm/yyyy"
_DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
_HOURS_FORMAT = "0.00"
_DURATION_FORMAT = "[h]:mm"

_SAMPLE_DATE = date(2000, 1, 1)
_SAMPLE_DATETIME = datetime(2000, 1, 1)  # noqa: DTZ001 - Excel cells hold naive wall time

_IN_REVIEW = "EN OBSERVACION"
_PENDING = "PENDIENTE"
_SUMMARY_SHEET = "Resumen"

# (header, width). Fecha and Día are wide enough for the totals labels below the sessions,
# which spill over both columns.
_SESSION_COLUMNS: tuple[tuple[str, float], ...] = (
    ("Fecha", 15),
    ("Día", 14),
    ("Proyecto", 28),
    ("Tarea", 28),
    ("Descripción", 50),
    ("Inicio", 17),
    ("Fin", 17),
    ("Zona horaria", 22),
    ("Horas", 9),
    ("Horas (h:mm)", 13),
    ("Horas válidas", 14),
    ("Horas válidas (h:mm)", 20),
    ("Overtime", 10),
    ("Estado", 17),
    ("Ediciones", 11),
    ("En curso", 10),
)
_DAY_HEADERS = (
    "Día",
    "Fecha",
    "Horas",
    "Horas válidas",
    "Sesiones",
    "Horas (h:mm)",
    "Horas válidas (h:mm)",
)
_SUMMARY_COLUMNS: tuple[tuple[str, float], ...] = (
    ("Usuario", 30),
    ("Correo", 32),
    ("Sesiones", 10),
    ("Días trabajados", 16),
    ("Horas trabajadas", 17),
    ("Horas aprobadas", 16),
    ("Horas esperadas", 16),
    ("Diferencia", 12),
    ("Sesiones en overtime", 21),
    ("En revisión", 12),
)

_BOLD = Font(bold=True)
_TITLE_FONT = Font(bold=True, size=13)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SHEET_TITLE_MAX = 31
# Excel reserves "History" (case-insensitively) for its change-tracking sheet.
_RESERVED_SHEET_TITLES = frozenset({"history"})
_FILENAME_UNSAFE = re.compile(r"[^a-z0-9_-]+")
_UNDERSCORES = re.compile(r"_{2,}")
_FILENAME_USER_MAX = 80

_illegal_search = ILLEGAL_CHARACTERS_RE.search


def personal_workbook(
    out: BinaryIO | str | Path,
    user: ReportUser,
    period: ReportPeriod,
    sessions: Iterable[ReportSession],
) -> UserTotals:
    """One user's workbook: one sheet with that user's sessions. Writes an .xlsx to `out`."""
    wb = _new_workbook(period)
    try:
        ws = wb.create_sheet(_sheet_title(user.name, set()))
        totals = _write_user_sheet(ws, _Styles(), user, sessions)
        wb.save(out)
    except BaseException:
        _discard(wb)
        raise
    return totals


def coordinators_workbook(
    out: BinaryIO | str | Path,
    period: ReportPeriod,
    users: Iterable[tuple[ReportUser, Iterable[ReportSession]]],
) -> list[UserTotals]:
    """A "Resumen" sheet first (one row per user and a total row), then one sheet per user.

    Every user gets a sheet, even without sessions: predictable, and the sheet still shows the
    expected hours against zero worked.
    """
    wb = _new_workbook(period)
    try:
        # Created first so it is the first tab; its rows are appended last, once every user's
        # totals are known. A write-only sheet opens its temporary file on the first append,
        # so an untouched sheet costs nothing meanwhile.
        summary = wb.create_sheet(_SUMMARY_SHEET)
        _prepare_sheet(summary, _SUMMARY_COLUMNS, freeze="A3")
        styles = _Styles()
        taken = {_SUMMARY_SHEET.casefold()}
        all_totals: list[UserTotals] = []
        for user, sessions in users:
            ws = wb.create_sheet(_sheet_title(user.name, taken))
            all_totals.append(_write_user_sheet(ws, styles, user, sessions))
            # Closing writes the sheet's tail (filter, chart link) and releases its temporary
            # file handle now; otherwise every sheet keeps one open until save().
            ws.close()
        _write_summary(summary, styles, period, all_totals)
        wb.save(out)
    except BaseException:
        _discard(wb)
        raise
    return all_totals


def report_filename(user_name: str, period: ReportPeriod) -> str:
    """ "reporte_<user>_<start>_<end>.xlsx" with an ASCII, lower-case, underscore-joined user."""
    ascii_name = unicodedata.normalize("NFKD", user_name).encode("ascii", "ignore").decode()
    slug = _UNDERSCORES.sub("_", _FILENAME_UNSAFE.sub("_", ascii_name.lower()))
    slug = slug[:_FILENAME_USER_MAX].strip("_") or "usuario"
    return f"reporte_{slug}_{period.start.isoformat()}_{period.end.isoformat()}.xlsx"


def _new_workbook(period: ReportPeriod) -> Any:
    wb = Workbook(write_only=True)
    wb.properties.title = _period_title(period)
    return wb


def _period_title(period: ReportPeriod) -> str:
    return f"Reporte {period.kind} del {period.start.isoformat()} al {period.end.isoformat()}"


def _write_user_sheet(
    ws: Any, styles: _Styles, user: ReportUser, sessions: Iterable[ReportSession]
) -> UserTotals:
    _prepare_sheet(ws, _SESSION_COLUMNS, freeze="A2")
    _take_cells_as_given(ws)
    ws.append([styles.header(ws, title) for title, _ in _SESSION_COLUMNS])

    # Excel applies a column's number format only to cells absent from the file, so every
    # written date or hours cell carries its own style. One styled cell per column serves every
    # row: append() serialises the row before it returns. The loop sets `_value` directly,
    # skipping the setter's type inference (for dates, a regex on the number format each time):
    # a column's type never changes, so the type inferred from the sample value stays right.
    fecha = styles.number(ws, _SAMPLE_DATE, _DATE_FORMAT)
    inicio = styles.number(ws, _SAMPLE_DATETIME, _DATETIME_FORMAT)
    fin = styles.number(ws, _SAMPLE_DATETIME, _DATETIME_FORMAT)
    horas = styles.number(ws, 0.0, _HOURS_FORMAT)
    horas_hm = styles.number(ws, 0.0, _DURATION_FORMAT)
    validas = styles.number(ws, 0.0, _HOURS_FORMAT)
    validas_hm = styles.number(ws, 0.0, _DURATION_FORMAT)

    append = ws.append
    text = _text
    weekdays = WEEKDAYS_ES
    days: dict[date, list[int]] = {}
    count = worked_total = valid_total = overtime = in_review = 0
    for session in sessions:
        start = session.local_start
        day = start.date()
        worked = session.worked_seconds
        valid = session.valid_seconds
        fecha._value = day
        inicio._value = start.replace(tzinfo=None)
        horas._value = round(worked / 3600, 2)
        horas_hm._value = worked / 86400
        end = session.local_end
        if session.running or end is None:
            fin_cell = None
        else:
            fin._value = end.replace(tzinfo=None)
            fin_cell = fin
        if valid is None:
            valid = 0
            validas_cell = validas_hm_cell = None
        else:
            validas._value = round(valid / 3600, 2)
            validas_hm._value = valid / 86400
            validas_cell = validas
            validas_hm_cell = validas_hm
        append(
            [
                fecha,
                weekdays[day.weekday()],
                text(ws, session.project),
                text(ws, session.task),
                text(ws, session.description),
                inicio,
                fin_cell,
                session.time_zone,
                horas,
                horas_hm,
                validas_cell,
                validas_hm_cell,
                "Sí" if session.overtime else "No",
                session.status or _PENDING,
                session.edits,
                "Sí" if session.running else "No",
            ]
        )
        count += 1
        worked_total += worked
        valid_total += valid
        if session.overtime:
            overtime += 1
        if session.status == _IN_REVIEW:
            in_review += 1
        # A session belongs to its local start day, even when it crosses midnight.
        per_day = days.get(day)
        if per_day is None:
            days[day] = [worked, valid, 1]
        else:
            per_day[0] += worked
            per_day[1] += valid
            per_day[2] += 1

    ws.auto_filter.ref = f"A1:{get_column_letter(len(_SESSION_COLUMNS))}{count + 1}"
    _write_day_totals(ws, styles, user, days, count + 3, count, worked_total, valid_total)
    return UserTotals(
        user=user,
        sessions=count,
        worked_seconds=worked_total,
        valid_seconds=valid_total,
        overtime_sessions=overtime,
        in_review=in_review,
        days_worked=len(days),
    )


def _write_day_totals(
    ws: Any,
    styles: _Styles,
    user: ReportUser,
    days: dict[date, list[int]],
    header_row: int,
    sessions: int,
    worked: int,
    valid: int,
) -> None:
    """The per-day table (its header at `header_row`), the period totals and the chart."""
    ws.append([])
    ws.append([styles.header(ws, title) for title in _DAY_HEADERS])
    # Reused cells, as for the sessions: a month of days in each of a thousand sheets adds up.
    fecha = styles.number(ws, _SAMPLE_DATE, _DATE_FORMAT)
    horas = styles.number(ws, 0.0, _HOURS_FORMAT)
    validas = styles.number(ws, 0.0, _HOURS_FORMAT)
    horas_hm = styles.number(ws, 0.0, _DURATION_FORMAT)
    validas_hm = styles.number(ws, 0.0, _DURATION_FORMAT)
    row = [None, fecha, horas, validas, None, horas_hm, validas_hm]
    for day in sorted(days):
        day_worked, day_valid, day_sessions = days[day]
        row[0] = WEEKDAYS_ES[day.weekday()]
        row[4] = day_sessions
        fecha._value = day
        horas._value = round(day_worked / 3600, 2)
        validas._value = round(day_valid / 3600, 2)
        horas_hm._value = day_worked / 86400
        validas_hm._value = day_valid / 86400
        ws.append(row)
    ws.append(
        [
            styles.bold(ws, "Total del periodo"),
            None,
            styles.bold(ws, round(worked / 3600, 2), _HOURS_FORMAT),
            styles.bold(ws, round(valid / 3600, 2), _HOURS_FORMAT),
            styles.bold(ws, sessions),
            styles.bold(ws, worked / 86400, _DURATION_FORMAT),
            styles.bold(ws, valid / 86400, _DURATION_FORMAT),
        ]
    )
    ws.append([])
    expected = user.expected_hours
    # Hours in column C and h:mm in column F, as in the per-day table. A negative duration
    # cannot be shown as [h]:mm (Excel prints ####), so the difference has decimals only.
    ws.append(
        [
            styles.bold(ws, "Horas esperadas"),
            None,
            None if expected is None else styles.number(ws, round(expected, 2), _HOURS_FORMAT),
            None,
            None,
            None if expected is None else styles.number(ws, expected / 24, _DURATION_FORMAT),
        ]
    )
    for label, seconds in (("Horas trabajadas", worked), ("Horas aprobadas", valid)):
        ws.append(
            [
                styles.bold(ws, label),
                None,
                styles.number(ws, round(seconds / 3600, 2), _HOURS_FORMAT),
                None,
                None,
                styles.number(ws, seconds / 86400, _DURATION_FORMAT),
            ]
        )
    ws.append(
        [
            styles.bold(ws, "Diferencia (trabajadas - esperadas)"),
            None,
            None
            if expected is None
            else styles.number(ws, _difference(worked, expected), _HOURS_FORMAT),
        ]
    )
    if days:
        _add_day_chart(ws, header_row, header_row + len(days))


def _add_day_chart(ws: Any, header_row: int, last_row: int) -> None:
    chart = BarChart()
    chart.type = "col"
    # No axis titles: the legend names the series and the categories are dates; each title is
    # a tree of rich-text objects, kept in memory for every sheet until the workbook is saved.
    chart.title = "Horas por día"
    # openpyxl leaves <c:delete> out of the axes; say explicitly that they are shown.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width = 18
    chart.height = 9
    # Columns C:D of the per-day table (Horas, Horas válidas), headers as series names;
    # the dates in column B as categories.
    chart.add_data(
        Reference(ws, min_col=3, max_col=4, min_row=header_row, max_row=last_row),
        titles_from_data=True,
    )
    chart.set_categories(Reference(ws, min_col=2, min_row=header_row + 1, max_row=last_row))
    ws.add_chart(chart, f"I{header_row}")


def _write_summary(
    ws: Any, styles: _Styles, period: ReportPeriod, all_totals: list[UserTotals]
) -> None:
    title = WriteOnlyCell(ws, value=_period_title(period))
    title.font = _TITLE_FONT
    ws.append([title])
    ws.append([styles.header(ws, heading) for heading, _ in _SUMMARY_COLUMNS])

    sessions = days = worked = valid = overtime = in_review = 0
    expected_total: float | None = None
    difference_total: float | None = None
    for totals in all_totals:
        expected = totals.user.expected_hours
        difference = None if expected is None else totals.worked_seconds / 3600 - expected
        ws.append(
            [
                _text(ws, totals.user.name),
                _text(ws, totals.user.email),
                totals.sessions,
                totals.days_worked,
                styles.number(ws, round(totals.worked_seconds / 3600, 2), _HOURS_FORMAT),
                styles.number(ws, round(totals.valid_seconds / 3600, 2), _HOURS_FORMAT),
                None if expected is None else styles.number(ws, round(expected, 2), _HOURS_FORMAT),
                None
                if difference is None
                else styles.number(ws, round(difference, 2), _HOURS_FORMAT),
                totals.overtime_sessions,
                totals.in_review,
            ]
        )
        sessions += totals.sessions
        days += totals.days_worked
        worked += totals.worked_seconds
        valid += totals.valid_seconds
        overtime += totals.overtime_sessions
        in_review += totals.in_review
        if expected is not None and difference is not None:
            expected_total = (expected_total or 0.0) + expected
            difference_total = (difference_total or 0.0) + difference

    # Users without a quota have no difference: the total difference is the sum of the users'
    # differences, not total worked minus total expected.
    ws.append(
        [
            styles.bold(ws, "Total"),
            None,
            styles.bold(ws, sessions),
            styles.bold(ws, days),
            styles.bold(ws, round(worked / 3600, 2), _HOURS_FORMAT),
            styles.bold(ws, round(valid / 3600, 2), _HOURS_FORMAT),
            None
            if expected_total is None
            else styles.bold(ws, round(expected_total, 2), _HOURS_FORMAT),
            None
            if difference_total is None
            else styles.bold(ws, round(difference_total, 2), _HOURS_FORMAT),
            styles.bold(ws, overtime),
            styles.bold(ws, in_review),
        ]
    )


def _take_cells_as_given(ws: Any) -> None:
    """Let `ws.append()` take ready-made cells without first trying them as values.

    openpyxl's `_values_to_row` tries every item as a cell value: a cell costs a raised and
    caught ValueError, and a styled one a new scratch cell after it. With seven formatted
    columns per session that was about a sixth of the time of a report. This replacement writes
    the same XML for what this module appends (no hyperlinks or comments). Should a later
    openpyxl stop calling the hook, rows are still written by its own code, only slower.
    """
    if callable(getattr(ws, "_values_to_row", None)):
        ws._values_to_row = MethodType(_values_to_row, ws)


def _values_to_row(ws: Any, values: Iterable[Any], row_idx: int) -> Iterator[Any]:
    scratch = WriteOnlyCell(ws)
    for column, value in enumerate(values, 1):
        if value is None:
            continue
        if isinstance(value, Cell):
            value.column = column
            value.row = row_idx
            yield value
            continue
        scratch.value = value
        scratch.column = column
        scratch.row = row_idx
        yield scratch
        if scratch.has_style:  # a plain date got a default format: keep it to that cell
            scratch = WriteOnlyCell(ws)


def _prepare_sheet(ws: Any, columns: tuple[tuple[str, float], ...], *, freeze: str) -> None:
    # Widths and panes belong to the head of the sheet XML, which a write-only sheet writes
    # on its first append: they must be set before it.
    for index, (_, width) in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = freeze


class _Styles:
    """Cells styled from style arrays computed once per workbook.

    Setting a font, fill or format on a cell finds the style in the workbook's lists by hashing
    it, which costs more than writing the cell; a thousand sheets of headers and totals add up.
    """

    def __init__(self) -> None:
        self._arrays: dict[tuple[str | None, bool, bool], Any] = {}

    def header(self, ws: Any, title: str) -> Any:
        return self._cell(ws, title, None, bold=True, fill=True)

    def number(self, ws: Any, value: object, number_format: str) -> Any:
        return self._cell(ws, value, number_format, bold=False, fill=False)

    def bold(self, ws: Any, value: object, number_format: str | None = None) -> Any:
        return self._cell(ws, value, number_format, bold=True, fill=False)

    def _cell(
        self, ws: Any, value: object, number_format: str | None, *, bold: bool, fill: bool
    ) -> Any:
        key = (number_format, bold, fill)
        array = self._arrays.get(key)
        if array is None:
            template = WriteOnlyCell(ws)
            if number_format is not None:
                template.number_format = number_format
            if bold:
                template.font = _BOLD
            if fill:
                template.fill = _HEADER_FILL
            # openpyxl's own worksheet copier reads `_style` the same way.
            array = self._arrays[key] = template._style
        return Cell(ws, row=1, column=1, value=value, style_array=array)  # copies the array


def _difference(worked_seconds: int, expected_hours: float) -> float:
    return round(worked_seconds / 3600 - expected_hours, 2)


def _text(ws: Any, value: str | None) -> Any:
    """User text as a string cell value: never a formula or an error, no XML-illegal chars."""
    if not value:
        return None
    if _illegal_search(value) is not None:
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not value:
            return None
    first = value[0]
    # openpyxl infers a formula from a leading "=" and an error from "#N/A" and the like.
    if first == "=" or (first == "#" and value in ERROR_CODES):
        # A fresh cell each time, never shared between rows.
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def _sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique (case-insensitively, as Excel compares) sheet title; added to `taken`."""
    base = _trim_title(ILLEGAL_CHARACTERS_RE.sub("", _SHEET_TITLE_FORBIDDEN.sub("", name)))
    base = base or "Usuario"
    title = _trim_title(base[:_SHEET_TITLE_MAX])
    number = 2
    while title.casefold() in taken or title.casefold() in _RESERVED_SHEET_TITLES:
        suffix = f" ({number})"
        title = _trim_title(base[: _SHEET_TITLE_MAX - len(suffix)]) + suffix
        number += 1
    taken.add(title.casefold())
    return title


def _trim_title(title: str) -> str:
    # Excel refuses a sheet title that starts or ends with an apostrophe.
    return title.strip().strip("'").strip()


def _discard(wb: Any) -> None:
    """Delete the temporary files of a workbook that will not be saved (best effort).

    openpyxl removes them in save() or at interpreter exit, and a worker process lives long.
    Relies on openpyxl 3.1 internals (`_writer`, `cleanup()`), hence the broad suppress.
    """
    for ws in wb.worksheets:
        writer = getattr(ws, "_writer", None)
        if writer is None:
            continue
        with contextlib.suppress(Exception):
            if not ws.closed:
                ws.close()
        with contextlib.suppress(Exception):
            writer.cleanup()
