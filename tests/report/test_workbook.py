from __future__ import annotations

import io
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from clockify_tracker.report import workbook
from clockify_tracker.report.workbook import (
    ReportPeriod,
    ReportSession,
    ReportUser,
    UserTotals,
    coordinators_workbook,
    personal_workbook,
    report_filename,
)

MEXICO = ZoneInfo("America/Mexico_City")
UTC = ZoneInfo("UTC")
NOVEMBER = ReportPeriod("mensual", date(2026, 11, 1), date(2026, 11, 30))
WEEK = ReportPeriod("semanal", date(2026, 11, 23), date(2026, 11, 29))
ANA = ReportUser("Ana López", "ana@example.com", 40.0)


def session(
    start: datetime,
    worked: int = 3600,
    valid: int | None = 3600,
    **overrides: Any,
) -> ReportSession:
    defaults = ReportSession(
        local_start=start,
        local_end=start + timedelta(seconds=worked),
        time_zone="America/Mexico_City",
        project="Portal",
        task="Diseño",
        description="Maquetar la portada",
        worked_seconds=worked,
        valid_seconds=valid,
        overtime=False,
        status="APROBADO",
        edits=0,
        running=False,
    )
    return replace(defaults, **overrides)


def mexico(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=MEXICO)


def build_personal(
    sessions: list[ReportSession], user: ReportUser = ANA
) -> tuple[bytes, UserTotals]:
    out = io.BytesIO()
    totals = personal_workbook(out, user, NOVEMBER, iter(sessions))
    return out.getvalue(), totals


def open_workbook(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data))


def rows(ws: Any) -> list[tuple[Any, ...]]:
    return list(ws.iter_rows(values_only=True))


def row_labelled(ws: Any, label: str) -> tuple[Any, ...]:
    matches = [row for row in rows(ws) if row[0] == label]
    assert len(matches) == 1, label
    return matches[0]


def day_table(ws: Any) -> list[tuple[Any, ...]]:
    """The per-day rows: between the "Día | Fecha | ..." header and "Total del periodo"."""
    all_rows = rows(ws)
    header = next(i for i, row in enumerate(all_rows) if row[:2] == ("Día", "Fecha"))
    total = next(i for i, row in enumerate(all_rows) if row[0] == "Total del periodo")
    return all_rows[header + 1 : total]


def sheet_xml(data: bytes, index: int) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read(f"xl/worksheets/sheet{index}.xml").decode()


def test_session_row_holds_real_dates_decimal_hours_duration_numbers_and_spanish_text() -> None:
    data, _ = build_personal(
        [
            session(mexico(2, 9), worked=5400, valid=3600, edits=2, overtime=True),
            session(mexico(2, 11), worked=600, valid=None, status=None, project=None),
        ]
    )
    ws = open_workbook(data).active

    assert rows(ws)[0] == tuple(title for title, _ in workbook._SESSION_COLUMNS)
    fecha, dia, proyecto, tarea, descripcion, inicio, fin, zona = ws[2][:8]
    assert fecha.is_date
    assert fecha.value.date() == date(2026, 11, 2)
    assert fecha.number_format == "dd/mm/yyyy"
    assert dia.value == "lunes"
    assert (proyecto.value, tarea.value, descripcion.value) == (
        "Portal",
        "Diseño",
        "Maquetar la portada",
    )
    assert inicio.value.isoformat() == "2026-11-02T09:00:00"
    assert fin.value.isoformat() == "2026-11-02T10:30:00"
    assert inicio.number_format == fin.number_format == "dd/mm/yyyy hh:mm"
    assert zona.value == "America/Mexico_City"

    horas, horas_hm, validas, validas_hm, overtime, estado, ediciones, en_curso = ws[2][8:]
    assert horas.data_type == "n"
    assert horas.value == 1.5
    assert horas.number_format == "0.00"
    # A number of days with a duration format: openpyxl reads it back as a timedelta.
    assert horas_hm.number_format == "[h]:mm"
    assert horas_hm.value == timedelta(minutes=90)
    assert re.search(r'<c r="J2" s="\d+" t="n"><v>0\.0625</v></c>', sheet_xml(data, 1))
    assert validas.value == 1.0
    assert validas.number_format == "0.00"
    assert validas_hm.value == timedelta(hours=1)
    assert validas_hm.number_format == "[h]:mm"
    assert (overtime.value, estado.value, ediciones.value, en_curso.value) == (
        "Sí",
        "APROBADO",
        2,
        "No",
    )

    second = rows(ws)[2]
    assert second[2] is None  # no project
    assert second[8] == 0.17  # 600 s, rounded to 2 decimals
    assert second[10] is None
    assert second[11] is None
    assert second[13] == "PENDIENTE"


def test_a_running_session_has_no_end_and_says_so() -> None:
    running = session(mexico(5, 8), worked=1800, local_end=None, running=True, status=None)
    data, _ = build_personal([running])
    row = rows(open_workbook(data).active)[1]

    assert row[6] is None
    assert row[8] == 0.5
    assert row[15] == "Sí"


def test_a_session_after_utc_midnight_is_written_at_local_time_on_the_local_day() -> None:
    start = datetime(2026, 11, 3, 5, 30, tzinfo=UTC).astimezone(MEXICO)
    data, _ = build_personal([session(start, worked=1800, valid=1800)])
    ws = open_workbook(data).active

    row = rows(ws)[1]
    assert row[0].date() == date(2026, 11, 2)
    assert row[1] == "lunes"
    assert row[5].isoformat() == "2026-11-02T23:30:00"
    assert row[6].isoformat() == "2026-11-03T00:00:00"
    assert [(r[0], r[1].date()) for r in day_table(ws)] == [("lunes", date(2026, 11, 2))]


def test_a_session_crossing_local_midnight_counts_on_its_start_day() -> None:
    data, totals = build_personal([session(mexico(10, 22), worked=4 * 3600, valid=3 * 3600)])
    ws = open_workbook(data).active

    assert rows(ws)[1][6].isoformat() == "2026-11-11T02:00:00"
    assert [(r[0], r[1].date(), *r[2:5]) for r in day_table(ws)] == [
        ("martes", date(2026, 11, 10), 4, 3, 1)
    ]
    assert totals.days_worked == 1


def test_day_and_period_totals_sum_worked_and_valid_hours() -> None:
    sessions = [
        session(mexico(2, 9), worked=3600, valid=3600),
        session(mexico(2, 14), worked=5400, valid=None, status="EN OBSERVACION"),
        session(mexico(4, 8), worked=7200, valid=5400, overtime=True),
    ]
    data, totals = build_personal(sessions)
    ws = open_workbook(data).active

    days = day_table(ws)
    assert [(r[0], r[1].date(), r[2], r[3], r[4]) for r in days] == [
        ("lunes", date(2026, 11, 2), 2.5, 1, 2),
        ("miércoles", date(2026, 11, 4), 2, 1.5, 1),
    ]
    assert days[0][5] == timedelta(hours=2, minutes=30)
    assert days[1][6] == timedelta(hours=1, minutes=30)
    total = row_labelled(ws, "Total del periodo")
    assert total[2:7] == (4.5, 2.5, 3, timedelta(hours=4, minutes=30), timedelta(hours=2.5))
    assert row_labelled(ws, "Horas esperadas")[2] == 40
    assert row_labelled(ws, "Horas esperadas")[5] == timedelta(hours=40)
    assert row_labelled(ws, "Horas trabajadas")[2] == 4.5
    assert row_labelled(ws, "Horas aprobadas")[2] == 2.5
    assert row_labelled(ws, "Diferencia (trabajadas - esperadas)")[2] == -35.5
    assert totals == UserTotals(
        user=ANA,
        sessions=3,
        worked_seconds=16200,
        valid_seconds=9000,
        overtime_sessions=1,
        in_review=1,
        days_worked=2,
    )


def test_without_a_quota_expected_hours_and_difference_are_blank() -> None:
    data, _ = build_personal([session(mexico(2, 9))], replace(ANA, expected_hours=None))
    ws = open_workbook(data).active

    assert row_labelled(ws, "Horas esperadas")[2] is None
    assert row_labelled(ws, "Diferencia (trabajadas - esperadas)")[2] is None
    assert row_labelled(ws, "Horas trabajadas")[2] == 1


def test_chart_plots_the_day_table_of_its_own_sheet() -> None:
    sessions = [session(mexico(2, 9)), session(mexico(3, 9)), session(mexico(4, 9))]
    data, _ = build_personal(sessions)
    archive = zipfile.ZipFile(io.BytesIO(data))

    chart = archive.read("xl/charts/chart1.xml").decode()
    # Header row 1, three sessions, a blank row: the day table's header is row 6, days 7-9.
    assert "<f>'Ana López'!C6</f>" in chart  # series names from the headers
    assert "<f>'Ana López'!$C$7:$C$9</f>" in chart  # Horas
    assert "<f>'Ana López'!$D$7:$D$9</f>" in chart  # Horas válidas
    assert "<f>'Ana López'!$B$7:$B$9</f>" in chart  # dates as categories
    assert "drawing1.xml" in archive.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
    assert [r[1].date() for r in day_table(open_workbook(data).active)] == [
        date(2026, 11, 2),
        date(2026, 11, 3),
        date(2026, 11, 4),
    ]


def test_user_sheet_freezes_the_header_sets_widths_and_filters_the_sessions() -> None:
    data, _ = build_personal([session(mexico(2, 9)), session(mexico(3, 9))])
    ws = open_workbook(data).active

    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["A"].width == 15
    assert ws.column_dimensions["E"].width == 50  # Descripción
    assert ws.column_dimensions["P"].width == 10
    assert ws.auto_filter.ref == "A1:P3"
    assert ws["A1"].font.b
    assert ws["A1"].fill.fgColor.rgb.endswith("DDEBF7")


def test_user_text_is_never_a_formula_or_an_error_and_loses_illegal_characters() -> None:
    link = '=HYPERLINK("https://example.com","clic")'
    data, _ = build_personal(
        [session(mexico(2, 9), description=link, project="#N/A", task="a\x07b\x1f")]
    )
    ws = open_workbook(data).active

    assert ws["E2"].data_type == "s"
    assert ws["E2"].value == link
    assert ws["C2"].data_type == "s"
    assert ws["C2"].value == "#N/A"
    assert ws["D2"].value == "ab"
    assert "<f>" not in sheet_xml(data, 1)


def test_a_user_without_sessions_gets_an_empty_table_and_no_chart() -> None:
    data, totals = build_personal([])
    ws = open_workbook(data).active

    assert day_table(ws) == []
    assert row_labelled(ws, "Total del periodo")[2:5] == (0, 0, 0)
    assert row_labelled(ws, "Diferencia (trabajadas - esperadas)")[2] == -40
    assert not any(n.startswith("xl/charts/") for n in zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert totals.sessions == totals.days_worked == 0


def coordinators(
    users: list[tuple[ReportUser, list[ReportSession]]],
) -> tuple[bytes, list[UserTotals]]:
    out = io.BytesIO()
    totals = coordinators_workbook(out, WEEK, ((user, iter(s)) for user, s in users))
    return out.getvalue(), totals


def test_coordinators_workbook_opens_on_a_summary_and_gives_every_user_a_sheet() -> None:
    ana_one = ReportUser("Ana", "ana@example.com", 10.0)
    ana_two = ReportUser("Ana", "ana.dos@example.com", None)
    luis = ReportUser("Luis", None, 8.0)
    monday = datetime(2026, 11, 23, 9, tzinfo=MEXICO)
    data, totals = coordinators(
        [
            (
                ana_one,
                [
                    session(monday, worked=7200, valid=3600, overtime=True),
                    session(monday + timedelta(days=1), worked=3600, status="EN OBSERVACION"),
                ],
            ),
            (ana_two, [session(monday, worked=1800, valid=None)]),
            (luis, []),
        ]
    )
    wb = open_workbook(data)

    assert wb.sheetnames == ["Resumen", "Ana", "Ana (2)", "Luis"]
    summary = wb["Resumen"]
    assert summary.freeze_panes == "A3"
    assert summary.column_dimensions["A"].width == 30
    assert rows(summary) == [
        ("Reporte semanal del 2026-11-23 al 2026-11-29",) + (None,) * 9,
        (
            "Usuario",
            "Correo",
            "Sesiones",
            "Días trabajados",
            "Horas trabajadas",
            "Horas aprobadas",
            "Horas esperadas",
            "Diferencia",
            "Sesiones en overtime",
            "En revisión",
        ),
        ("Ana", "ana@example.com", 2, 2, 3, 2, 10, -7, 1, 1),
        ("Ana", "ana.dos@example.com", 1, 1, 0.5, 0, None, None, 0, 0),
        ("Luis", None, 0, 0, 0, 0, 8, -8, 0, 0),
        ("Total", None, 3, 3, 3.5, 2, 18, -15, 1, 1),
    ]
    assert summary["E3"].number_format == "0.00"
    assert [t.sessions for t in totals] == [2, 1, 0]

    assert rows(wb["Ana (2)"])[1][4] == "Maquetar la portada"
    for name in ("Ana", "Ana (2)", "Luis"):
        assert wb[name].freeze_panes == "A2"
    assert row_labelled(wb["Luis"], "Horas esperadas")[2] == 8

    archive = zipfile.ZipFile(io.BytesIO(data))
    charts = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
    assert len(charts) == 2  # Luis has no days to plot
    plotted = [re.findall(r"<f>('[^']+')!", archive.read(n).decode()) for n in charts]
    assert {frozenset(sheets) for sheets in plotted} == {
        frozenset({"'Ana'"}),
        frozenset({"'Ana (2)'"}),
    }


@pytest.mark.parametrize(
    ("names", "titles"),
    [
        (["a[b]:c*d?e/f\\g"], ["abcdefg"]),
        (["x" * 40, "x" * 40], ["x" * 31, "x" * 27 + " (2)"]),
        (["Ana", "ana", "ANA"], ["Ana", "ana (2)", "ANA (3)"]),
        (["Resumen"], ["Resumen (2)"]),
        (["'Quoted'", "/?*", "History"], ["Quoted", "Usuario", "History (2)"]),
    ],
)
def test_sheet_titles_are_cleaned_cut_to_31_characters_and_unique(
    names: list[str], titles: list[str]
) -> None:
    data, _ = coordinators([(ReportUser(name, None, None), []) for name in names])

    assert open_workbook(data).sheetnames == ["Resumen", *titles]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("José Pérez", "reporte_jose_perez_2026-11-01_2026-11-30.xlsx"),
        ("  Ana / María  ", "reporte_ana_maria_2026-11-01_2026-11-30.xlsx"),
        ("O'Brien-Smith Jr.", "reporte_o_brien-smith_jr_2026-11-01_2026-11-30.xlsx"),
        ("Ñandú__Über\\..\\etc", "reporte_nandu_uber_etc_2026-11-01_2026-11-30.xlsx"),
        ("coordinacion", "reporte_coordinacion_2026-11-01_2026-11-30.xlsx"),
        ("李", "reporte_usuario_2026-11-01_2026-11-30.xlsx"),
    ],
)
def test_report_filename_is_ascii_lower_case_and_dated(name: str, expected: str) -> None:
    assert report_filename(name, NOVEMBER) == expected


def test_a_failed_build_leaves_no_temporary_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def failing() -> Iterator[ReportSession]:
        yield session(mexico(2, 9))
        raise RuntimeError("database went away")

    users = [(ANA, [session(mexico(2, 9))]), (replace(ANA, name="Luis"), failing())]
    with pytest.raises(RuntimeError, match="database went away"):
        coordinators_workbook(io.BytesIO(), WEEK, iter(users))
    with pytest.raises(RuntimeError, match="database went away"):
        personal_workbook(io.BytesIO(), ANA, WEEK, failing())

    assert list(tmp_path.iterdir()) == []


def test_fast_row_path_writes_the_same_workbook_as_openpyxl_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sessions = [
        session(mexico(2, 9), description="=1+1", project="#REF!"),
        session(mexico(2, 23), worked=7200, valid=None, status=None),
        session(mexico(3, 8), local_end=None, running=True),
    ]
    users = [(ANA, sessions), (replace(ANA, name="Luis"), [])]
    fast, _ = coordinators(users)
    monkeypatch.setattr(workbook, "_take_cells_as_given", lambda ws: None)
    stock, _ = coordinators(users)

    fast_zip = zipfile.ZipFile(io.BytesIO(fast))
    stock_zip = zipfile.ZipFile(io.BytesIO(stock))
    assert fast_zip.namelist() == stock_zip.namelist()
    for name in fast_zip.namelist():
        if name != "docProps/core.xml":  # holds the creation time
            assert fast_zip.read(name) == stock_zip.read(name), name
