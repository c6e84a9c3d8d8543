"""Reports end to end: asked for through the API, built by the real worker from PostgreSQL,
emailed through aiosmtpd, and downloaded; each workbook opened with openpyxl."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from clockify_tracker.kit.db import Database
from clockify_tracker.models import ClockifyUser, Organization, ReportJob, Role
from tests.fixtures.smtp import ReceivedMail, SmtpServer
from tests.support.factories import create_account, create_organization, login
from tests.support.polling import eventually
from tests.support.reports import create_session, create_user, utc

SERVICE = {"X-Webhook-Token": "test-secret-token-value"}
COORDINATION = ["clockify@example.com", "coordinacion@example.com", "gerencia@example.com"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def november(db: Database) -> tuple[Organization, ClockifyUser, ClockifyUser]:
    """The default organization (coordinated by MAIL_RECIPIENT(S)), with Ana's November:
    a session across UTC midnight, one across local midnight, one edited into review; Luis
    without an email, one session; and sessions outside the month that must not count."""
    organization = await create_organization(db, "default")
    ana = await create_user(db, organization, "Ana Pérez", email="ana@example.com",
                            hours_per_month=160)  # fmt: skip
    luis = await create_user(db, organization, "Luis Gómez")
    # 02/11 23:30 -> 03/11 01:35 local (05:30Z -> 07:35Z): counts on 2 November.
    await create_session(db, ana, utc("2026-11-03T05:30:00Z"), utc("2026-11-03T07:35:00Z"),
                         description="Cierre =SUM(A1)")  # fmt: skip
    # 10/11 09:00 -> 13:00 local; edited into review: valid hours are the accepted 3 h.
    await create_session(db, ana, utc("2026-11-10T15:00:00Z"), utc("2026-11-10T19:00:00Z"),
                         status="EN OBSERVACION", valid_duration_seconds=3 * 3600,
                         updating_quantity=2)  # fmt: skip
    await create_session(db, luis, utc("2026-11-20T16:00:00Z"), utc("2026-11-20T22:00:00Z"),
                         overtime=True)  # fmt: skip
    # 01/11 00:30 UTC is 31/10 18:30 local: October, not November.
    await create_session(db, ana, utc("2026-11-01T00:30:00Z"), utc("2026-11-01T02:00:00Z"))
    # 30/11 23:00 local is 01/12 05:00Z: November.
    await create_session(db, ana, utc("2026-12-01T05:00:00Z"), utc("2026-12-01T06:00:00Z"))
    return organization, ana, luis


async def finished(client: httpx.AsyncClient, report_id: int) -> dict[str, Any] | None:
    body: dict[str, Any] = (
        await client.get(f"/api-clockify/session-report/{report_id}", headers=SERVICE)
    ).json()
    assert body["status"] != "failed", body
    return body if body["status"] == "done" else None


async def delivered(smtp: SmtpServer, count: int) -> list[ReceivedMail] | None:
    return list(smtp.messages) if len(smtp.messages) >= count else None


def attachment(message: ReceivedMail) -> tuple[str, bytes]:
    (part,) = list(message.message.iter_attachments())
    assert part.get_content_type() == XLSX
    return part.get_filename(), part.get_content()


def wall(*parts: int) -> datetime:
    """Excel has no time zones: the workbook holds local wall-clock times, naive."""
    return datetime(*parts)  # noqa: DTZ001


def rows(sheet: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def row_starting(sheet: Any, label: str) -> tuple[Any, ...]:
    return next(row for row in rows(sheet) if row and row[0] == label)


@pytest.mark.usefixtures("celery_worker")
async def test_a_custom_report_is_built_emailed_and_downloadable(
    client: httpx.AsyncClient, db: Database, smtp_server: SmtpServer
) -> None:
    _, ana, _ = await november(db)

    response = await client.post(
        "/api-clockify/session-report/user", headers=SERVICE,
        json={"idUser": ana.id, "startDate": "2026-11-01", "endDate": "2026-11-30",
              "emailToSend": "ana@example.com"},
    )  # fmt: skip

    assert response.status_code == 202, response.text
    report_id = response.json()["idReporte"]
    assert response.json()["reports"][0]["status"] == "pending"
    done = await eventually(lambda: finished(client, report_id), within=30)
    assert done["summary"] == {"users": 1, "sessions": 3, "emails": 1}
    (message,) = await eventually(lambda: delivered(smtp_server, 1))
    assert message.rcpt_tos == ["ana@example.com"], "only the address asked for"
    assert message.message["Subject"] == "Reporte personalizado de Clockify - Ana Pérez"
    filename, content = attachment(message)
    assert filename == "reporte_ana_perez_2026-11-01_2026-11-30.xlsx"

    download = await client.get(done["downloadUrl"], headers=SERVICE)
    assert download.status_code == 200
    assert download.headers["content-type"] == XLSX
    assert download.content == content
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    table = rows(sheet)
    assert table[0][:6] == ("Fecha", "Día", "Proyecto", "Tarea", "Descripción", "Inicio")
    first = table[1]
    assert first[0] == wall(2026, 11, 2), "the local day of 03/11 05:30 UTC"
    assert first[1] == "lunes"
    assert first[4] == "Cierre =SUM(A1)", "user text is never a formula"
    assert first[5] == wall(2026, 11, 2, 23, 30)
    assert first[6] == wall(2026, 11, 3, 1, 35)
    assert first[7] == "America/Mexico_City"
    assert first[8] == pytest.approx(2.08)
    assert sheet.cell(row=2, column=10).number_format == "[h]:mm"
    assert table[2][13] == "EN OBSERVACION"
    assert table[2][10] == pytest.approx(3.0), "valid hours: the accepted ones"
    assert table[3][0] == wall(2026, 11, 30), "30/11 23:00 local is in November"
    assert sheet.freeze_panes == "A2"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
    assert len(charts) == 1, "the hours-per-day chart"
    total = row_starting(sheet, "Total del periodo")
    assert total[2] == pytest.approx(round((2 * 3600 + 5 * 60 + 4 * 3600 + 3600) / 3600, 2))


@pytest.mark.usefixtures("celery_worker")
async def test_monthly_reports_reach_each_user_and_the_coordinators_once(
    client: httpx.AsyncClient, db: Database, smtp_server: SmtpServer
) -> None:
    await november(db)

    response = await client.post(
        "/api-clockify/session-binnacle/reports/sendAllReports", headers=SERVICE,
        json={"type": "monthly", "month": 11, "year": 2026},
    )  # fmt: skip

    assert response.status_code == 202, response.text
    (report,) = response.json()["reports"]
    assert (report["type"], report["startDate"], report["endDate"]) == (
        "monthly", "2026-11-01", "2026-11-30",
    )  # fmt: skip
    done = await eventually(lambda: finished(client, report["idReporte"]), within=30)
    assert done["summary"] == {"users": 2, "sessions": 4, "emails": 2}
    messages = await eventually(lambda: delivered(smtp_server, 2))
    by_recipients = {tuple(sorted(m.rcpt_tos)): m for m in messages}
    assert set(by_recipients) == {tuple(COORDINATION), ("ana@example.com",)}, "Luis has no email"

    name, content = attachment(by_recipients[tuple(COORDINATION)])
    assert name == "reporte_coordinacion_2026-11-01_2026-11-30.xlsx"
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["Resumen", "Ana Pérez", "Luis Gómez"]
    summary = workbook["Resumen"]
    ana = row_starting(summary, "Ana Pérez")
    luis = row_starting(summary, "Luis Gómez")
    total = row_starting(summary, "Total")
    assert ana[1:4] == ("ana@example.com", 3, 3)
    assert ana[6] == pytest.approx(160.0), "the whole month's quota"
    assert luis[2] == 1
    assert luis[8] == 1, "one overtime session"
    assert total[2] == 4
    assert total[4] == pytest.approx(ana[4] + luis[4])
    _, personal = attachment(by_recipients[("ana@example.com",)])
    assert load_workbook(io.BytesIO(personal)).sheetnames == ["Ana Pérez"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"type": "daily"}, 422, "body.type"),
        ({"type": "weekly", "month": 3}, 422, "body"),
        ({"type": "monthly", "month": 13}, 422, "body.month"),
        ({"type": "monthly", "year": 2026}, 422, "body"),
        ({"type": "weekly", "start_date": "14/07/2025"}, 422, "body.start_date"),
    ],
)
async def test_send_all_reports_refuses_what_means_nothing(
    client: httpx.AsyncClient, db: Database, body: dict[str, Any], status: int, field: str
) -> None:
    response = await client.post(
        "/api-clockify/session-report/sendAllReports", headers=SERVICE, json=body
    )
    assert response.status_code == status
    assert response.json()["details"][0]["field"] == field


async def test_a_custom_report_goes_only_to_addresses_that_belong_to_it(
    client: httpx.AsyncClient, db: Database
) -> None:
    _, ana, _ = await november(db)

    def ask(**changes: Any) -> dict[str, Any]:
        return {"idUser": ana.id, "startDate": "2026-11-01", "endDate": "2026-11-30",
                "emailToSend": "ana@example.com", **changes}  # fmt: skip

    stranger = await client.post("/api-clockify/session-report/user", headers=SERVICE,
                                 json=ask(emailToSend="someone@elsewhere.example"))  # fmt: skip
    coordinator = await client.post("/api-clockify/session-report/user", headers=SERVICE,
                                    json=ask(emailToSend="Gerencia@Example.com"))  # fmt: skip
    backwards = await client.post("/api-clockify/session-report/user", headers=SERVICE,
                                  json=ask(startDate="2026-12-01"))  # fmt: skip
    too_long = await client.post("/api-clockify/session-report/user", headers=SERVICE,
                                 json=ask(startDate="2025-11-29"))  # fmt: skip
    unknown = await client.post("/api-clockify/session-report/user", headers=SERVICE,
                                json=ask(idUser=999999))  # fmt: skip

    assert stranger.status_code == 422
    assert stranger.json()["details"][0]["field"] == "body.emailToSend"
    assert "no se envía a cualquier dirección" in stranger.json()["error"]
    assert coordinator.status_code == 202, "a coordinator's address, in any case"
    assert backwards.status_code == 422
    assert backwards.json()["details"][0]["field"] == "body.endDate"
    assert too_long.status_code == 422
    assert "366" in too_long.json()["error"]
    assert unknown.status_code == 404


async def test_a_read_only_role_can_ask_for_a_report_for_itself_but_not_send_all(
    client: httpx.AsyncClient, db: Database
) -> None:
    organization, ana, _ = await november(db)
    await create_account(db, "conta@example.com", organization=organization, role=Role.CONTADOR)
    assert (await login(client, "conta@example.com")).status_code == 200

    own = await client.post(
        "/api-clockify/session-report/user",
        json={"idUser": ana.id, "startDate": "2026-11-01", "endDate": "2026-11-30",
              "emailToSend": "conta@example.com"},
    )  # fmt: skip
    everyone = await client.post(
        "/api-clockify/session-report/sendAllReports", json={"type": "weekly"}
    )

    assert own.status_code == 202
    assert everyone.status_code == 403


async def test_a_weekly_request_covers_seven_days_from_its_start_date(
    client: httpx.AsyncClient, db: Database
) -> None:
    await november(db)
    response = await client.post(
        "/api-clockify/session-report/sendAllReports", headers=SERVICE,
        json={"type": "weekly", "start_date": "2026-11-02"},
    )  # fmt: skip
    assert response.status_code == 202
    (report,) = response.json()["reports"]
    assert (report["startDate"], report["endDate"]) == ("2026-11-02", "2026-11-08")
    assert report["trigger"] == "manual"
    assert report["requestedBy"] == "token:SECRET_TOKEN"


async def test_a_failed_report_shows_its_error_and_has_no_download(
    client: httpx.AsyncClient, db: Database
) -> None:
    organization, _, _ = await november(db)
    async with db.unit_of_work() as session:
        job = ReportJob(
            organization_id=organization.id, kind="weekly", trigger="manual",
            period_start=date(2026, 11, 2), period_end=date(2026, 11, 8),
            requested_by="coordinacion@example.com", status="failed", attempts=3,
            last_error="OperationalError: the database went away",
        )  # fmt: skip
        session.add(job)
        await session.flush()

    status = await client.get(f"/api-clockify/session-report/{job.id}", headers=SERVICE)
    download = await client.get(f"/api-clockify/session-report/{job.id}/download",
                                headers=SERVICE)  # fmt: skip
    missing = await client.get("/api-clockify/session-report/999999", headers=SERVICE)

    assert status.json()["status"] == "failed"
    assert status.json()["lastError"].startswith("OperationalError")
    assert status.json()["downloadUrl"] is None
    assert download.status_code == 404
    assert "failed" in download.json()["error"]
    assert missing.status_code == 404
