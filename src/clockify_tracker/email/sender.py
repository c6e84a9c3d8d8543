"""SMTP delivery with aiosmtplib: STARTTLS or implicit TLS and login as configured, and the
distinction that decides retries: a 5xx reply is permanent, anything else is transient."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate

import aiosmtplib

from clockify_tracker.config import Settings


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Outgoing:
    message_id: str
    recipients: list[str]
    subject: str
    text_body: str
    html_body: str | None
    attachments: tuple[Attachment, ...] = ()


class PermanentSmtpError(Exception):
    """The server refused for good (5xx): retrying cannot help."""


class TransientSmtpError(Exception):
    """Connection refused, timeout, 4xx: worth trying again later."""


def build(outgoing: Outgoing, settings: Settings) -> MimeMessage:
    message = MimeMessage()
    message["From"] = settings.mail_default_sender
    message["To"] = ", ".join(outgoing.recipients)
    message["Subject"] = outgoing.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = outgoing.message_id
    # RFC 3834: vacation responders and ticket systems must not answer a notification.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(outgoing.text_body)
    if outgoing.html_body:
        message.add_alternative(outgoing.html_body, subtype="html")
    for attachment in outgoing.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return message


async def send(outgoing: Outgoing, settings: Settings) -> None:
    password = settings.mail_password.get_secret_value()
    try:
        await aiosmtplib.send(
            build(outgoing, settings),
            hostname=settings.mail_server,
            port=settings.mail_port,
            start_tls=settings.mail_use_tls if not settings.mail_use_ssl else False,
            use_tls=settings.mail_use_ssl,
            username=settings.mail_username or None,
            password=password or None,
            timeout=settings.mail_timeout_seconds,
        )
    except aiosmtplib.SMTPResponseException as exc:
        detail = f"{exc.code} {exc.message}"
        if 500 <= exc.code < 600:
            raise PermanentSmtpError(detail) from None
        raise TransientSmtpError(detail) from None
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise TransientSmtpError(f"{type(exc).__name__}: {exc}") from None
