"""Report requests and answers, with the seed's field names (`type`, `start_date`, `idUser`,
`startDate`, `emailToSend`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from clockify_tracker.kit.validation import DbId
from clockify_tracker.models import ReportJob


class SendAllReportsRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"type": "weekly", "start_date": "2025-07-14"},
                {"type": "monthly", "month": 7, "year": 2025},
                {"type": "monthly"},
            ]
        }
    )

    type: Literal["weekly", "monthly"] = Field(
        description="weekly: seven days; monthly: a calendar month"
    )
    month: int | None = Field(
        default=None, ge=1, le=12, description="monthly only; default: the previous month"
    )
    year: int | None = Field(
        default=None, ge=2000, le=2100, description="monthly only, with month; default: this year"
    )
    start_date: date | None = Field(
        default=None,
        description="weekly only: the first of the seven days; default: the previous Monday-Sunday",
    )

    @model_validator(mode="after")
    def _meaningful(self) -> SendAllReportsRequest:
        if self.type == "weekly" and (self.month is not None or self.year is not None):
            raise ValueError("month y year son solo para type=monthly")
        if self.type == "monthly" and self.start_date is not None:
            raise ValueError("start_date es solo para type=weekly")
        if self.year is not None and self.month is None:
            raise ValueError("year necesita month")
        return self


class UserReportRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "idUser": 12,
                    "startDate": "2025-07-14",
                    "endDate": "2025-07-21",
                    "emailToSend": "coordinacion@empresa.com",
                }
            ]
        }
    )

    idUser: DbId = Field(description="The user's internal id (idUser in /users)")  # noqa: N815
    startDate: date = Field(description="First local day, YYYY-MM-DD")  # noqa: N815
    endDate: date = Field(description="Last local day, inclusive")  # noqa: N815
    emailToSend: EmailStr = Field(  # noqa: N815
        description="The user's address, yours, or one of the organization's coordinators'"
    )


class ReportOut(BaseModel):
    idReporte: int = Field(examples=[8])  # noqa: N815
    type: str = Field(examples=["weekly"], description="weekly, monthly or custom")
    trigger: str = Field(examples=["manual"], description="schedule or manual")
    startDate: date  # noqa: N815
    endDate: date  # noqa: N815
    status: str = Field(examples=["done"], description="pending, running, done or failed")
    attempts: int = Field(examples=[1])
    lastError: str | None = Field(examples=[None])  # noqa: N815
    requestedBy: str = Field(examples=["coordinacion@example.com"])  # noqa: N815
    createdAt: datetime  # noqa: N815
    finishedAt: datetime | None  # noqa: N815
    summary: dict[str, int] = Field(
        examples=[{"users": 12, "sessions": 340, "emails": 13}],
        description="users in the report, sessions, emails queued",
    )
    downloadUrl: str | None = Field(  # noqa: N815
        examples=["/api-clockify/session-report/8/download"],
        description="The workbook, once done: the coordinators' one, or the custom report",
    )


class ReportAccepted(BaseModel):
    message: str = Field(examples=["weekly report queued"])
    idReporte: int = Field(examples=[8], description="The first report created")  # noqa: N815
    reports: list[ReportOut] = Field(description="One per organization reported")


def report_out(job: ReportJob) -> ReportOut:
    done = job.status == "done" and job.file_id is not None
    return ReportOut(
        idReporte=job.id,
        type=job.kind,
        trigger=job.trigger,
        startDate=job.period_start,
        endDate=job.period_end,
        status=job.status,
        attempts=job.attempts,
        lastError=job.last_error,
        requestedBy=job.requested_by,
        createdAt=job.created_at,
        finishedAt=job.finished_at,
        summary=dict(job.summary or {}),
        downloadUrl=f"/api-clockify/session-report/{job.id}/download" if done else None,
    )


def accepted(jobs: list[ReportJob], label: str) -> ReportAccepted:
    return ReportAccepted(
        message=f"{label} report queued",
        idReporte=jobs[0].id,
        reports=[report_out(j) for j in jobs],
    )
