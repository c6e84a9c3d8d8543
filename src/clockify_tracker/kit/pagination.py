"""Paging for list routes. Bodies stay plain arrays (what the seed's clients read); the total
travels in the `X-Total-Count` header, with `limit`/`offset` echoed in `X-Limit`/`X-Offset`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Response

from clockify_tracker.kit.validation import INT64_MAX

MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int

    def report(self, response: Response, total: int) -> None:
        response.headers["X-Total-Count"] = str(total)
        response.headers["X-Limit"] = str(self.limit)
        response.headers["X-Offset"] = str(self.offset)


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many rows")] = 100,
    offset: Annotated[
        int, Query(ge=0, le=INT64_MAX, description="Skip this many rows (newest first)")
    ] = 0,
) -> Page:
    return Page(limit, offset)


PageParams = Annotated[Page, Depends(page_params)]
