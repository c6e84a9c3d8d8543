"""Saving and reading stored files. The name a file is saved under is made safe here, once,
so every place that shows or sends it (an attachment, a download) can trust it."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.models import StoredFile
from clockify_tracker.storage import repository

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_FILENAME = 200


def safe_filename(name: str) -> str:
    """ASCII letters, digits, `.`, `_` and `-` only: "reporte_José Pérez.xlsx" ->
    "reporte_Jose_Perez.xlsx". Never empty, never hidden, never a path."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE.sub("_", ascii_name).strip("._-")
    return cleaned[-MAX_FILENAME:].lstrip("._-") or "archivo"


async def save(
    session: AsyncSession,
    *,
    filename: str,
    content_type: str,
    content: bytes,
    organization_id: int | None,
) -> StoredFile:
    stored = StoredFile(
        organization_id=organization_id,
        filename=safe_filename(filename),
        content_type=content_type,
        size_bytes=len(content),
        content=content,
    )
    repository.add(session, stored)
    await session.flush()
    return stored


async def load(session: AsyncSession, file_ids: list[int]) -> list[StoredFile]:
    return await repository.with_content(session, file_ids)
