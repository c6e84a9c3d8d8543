"""A notification becomes emails in the transaction of the change that caused it: one to the
organization's coordinators, one to the user when their email is known and notify is on.
Two messages, not one with everyone in To:, so a user never sees the coordinators' addresses."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.clockify import repository
from clockify_tracker.config import Settings
from clockify_tracker.email import service as email_service
from clockify_tracker.email.content import Audience, session_notification
from clockify_tracker.models import ClockifyUser, Notification
from clockify_tracker.organization import service as organization_service


async def notify(
    session: AsyncSession,
    settings: Settings,
    *,
    kind: str,
    organization_id: int,
    session_id: int,
    user: ClockifyUser,
    context: dict[str, Any],
    send_email: bool = True,
) -> None:
    context = {**context, "overtime_hours": settings.overtime_hours}
    repository.add_notification(
        session,
        Notification(
            organization_id=organization_id, kind=kind, session_id=session_id,
            clockify_user_id=user.id, context=context,
        ),
    )  # fmt: skip
    if not send_email:
        return
    coordinators = await organization_service.coordinator_recipients(
        session, organization_id,
        configured=settings.coordinator_recipients,
        default_organization=settings.default_organization,
    )  # fmt: skip
    audiences: list[tuple[Audience, list[str]]] = [
        ("coordinators", coordinators),
        ("user", [user.email] if user.email and user.notify and user.enabled else []),
    ]
    for audience, recipients in audiences:
        if not recipients:
            continue
        content = session_notification(kind, context, audience)
        await email_service.enqueue(
            session, kind=kind, recipients=recipients, subject=content.subject,
            text_body=content.text, html_body=content.html, organization_id=organization_id,
        )  # fmt: skip
