"""What the coordinators' email routes show: an email's delivery state, never its bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from clockify_tracker.models import EmailMessage


class EmailOut(BaseModel):
    idEmail: int = Field(examples=[31])  # noqa: N815
    kind: str = Field(
        examples=["review"],
        description="started, stopped, edited, review, manual, deleted, restored, overtime, "
        "approved, rejected, report, automation_failure, test",
    )
    recipients: list[str] = Field(examples=[["coordinacion@example.com"]])
    subject: str = Field(
        examples=["Clockify - ALERTA: sesión editada, en revisión - Ana Pérez - (2026-11-02 09:00)"]
    )
    status: str = Field(examples=["failed"], description="pending, sending, sent or failed")
    attempts: int = Field(examples=[1], description="Sending attempts since the last retry")
    lastError: str | None = Field(  # noqa: N815
        examples=["550 5.1.1 No such mailbox"], description="The SMTP server's last refusal"
    )
    nextAttemptAt: datetime | None = Field(  # noqa: N815
        description="When a pending email is due"
    )
    createdAt: datetime  # noqa: N815
    sentAt: datetime | None = Field(description="When the SMTP server accepted it")  # noqa: N815


class TestEmailQueued(BaseModel):
    """What GET /webhook/test-email queued: the worker sends it within moments."""

    message: str = Field(
        examples=["Correo de prueba en cola: el worker lo envía en instantes"],
    )
    emails: list[EmailOut] = Field(
        description="The queued messages (one, to the coordinators): id, recipients, subject "
        "and delivery state; follow a failure at GET /api-clockify/emails/failed",
    )


def email_out(row: EmailMessage) -> EmailOut:
    return EmailOut(
        idEmail=row.id,
        kind=row.kind,
        recipients=list(row.recipients),
        subject=row.subject,
        status=row.status,
        attempts=row.attempts,
        lastError=row.last_error,
        nextAttemptAt=row.next_attempt_at if row.status == "pending" else None,
        createdAt=row.created_at,
        sentAt=row.sent_at,
    )
