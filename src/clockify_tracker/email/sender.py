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


class MessageBuildError(Exception):
    """The row cannot become a message (a header value with a line break, an attachment type
    the email package refuses): the same row fails the same way every time, so it is not
    retried."""


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


def compose(outgoing: Outgoing, settings: Settings) -> MimeMessage:
    """`build`, with whatever it raises turned into a MessageBuildError."""
    try:
        return build(outgoing, settings)
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}"
        raise MessageBuildError(f"El mensaje no se pudo construir: {detail}") from None


async def send(outgoing: Outgoing, settings: Settings) -> None:
    """Raises MessageBuildError, PermanentSmtpError or TransientSmtpError, nothing else: an
    unexpected error from the client library is counted and retried like a transient one."""
    message = compose(outgoing, settings)
    password = settings.mail_password.get_secret_value()
    try:
        await aiosmtplib.send(
            message,
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
    except Exception as exc:
        # Not an SMTP answer: a surprise from the library. Never let it escape the delivery
        # (the row would stay `sending` and be claimed again and again, uncounted).
        raise TransientSmtpError(f"{type(exc).__name__}: {exc}") from None
