"""Every SQL statement on stored_file."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from clockify_tracker.models import StoredFile


def add(session: AsyncSession, stored: StoredFile) -> None:
    session.add(stored)


async def with_content(session: AsyncSession, file_ids: list[int]) -> list[StoredFile]:
    """The files with their bytes, in the order asked for; ids that are gone are left out."""
    if not file_ids:
        return []
    rows = await session.scalars(
        select(StoredFile).where(StoredFile.id.in_(file_ids)).options(undefer(StoredFile.content))
    )
    found = {row.id: row for row in rows}
    return [found[file_id] for file_id in file_ids if file_id in found]
