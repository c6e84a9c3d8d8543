"""The test harness itself: the SMTP fixture is a real server that aiosmtplib can talk to."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from tests.fixtures.smtp import SmtpServer


async def test_smtp_server_captures_what_aiosmtplib_sends(smtp_server: SmtpServer) -> None:
    message = EmailMessage()
    message["From"] = "notificaciones@example.com"
    message["To"] = "coordinacion@example.com"
    message["Subject"] = "Sesión iniciada"
    message.set_content("Hola")

    await aiosmtplib.send(message, hostname=smtp_server.host, port=smtp_server.port)

    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received.rcpt_tos == ["coordinacion@example.com"]
    assert received.message["Subject"] == "Sesión iniciada"
