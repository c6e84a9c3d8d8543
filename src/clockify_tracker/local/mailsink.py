"""A local SMTP sink for `make dev` without docker: every message is kept as an .eml file.

Open the files under `./var/mail/` with any mail client (or `cat`) to read what was sent."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class _StoreHandler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._counter = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        stamp = time.strftime("%Y%m%dT%H%M%S")
        path = self.directory / f"{stamp}-{next(self._counter):05d}.eml"
        recipients = ", ".join(envelope.rcpt_tos)
        header = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {recipients}\r\n"
        path.write_bytes(header.encode() + envelope.original_content)
        return "250 Message accepted for delivery"


class MailSink:
    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int = 1025) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._controller = Controller(_StoreHandler(directory), hostname=host, port=port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
