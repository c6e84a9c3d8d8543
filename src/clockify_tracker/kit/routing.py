"""Routes that answer with and without a trailing slash, so no redirect drops the auth header."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter

Endpoint = Callable[..., Any]


def both_slashes(
    router: APIRouter, method: str, path: str, **kwargs: Any
) -> Callable[[Endpoint], Endpoint]:
    """Register `path` (documented) and its other slash form (hidden from the schema)."""
    other = path[:-1] if path.endswith("/") else path + "/"

    def decorator(endpoint: Endpoint) -> Endpoint:
        router.add_api_route(path, endpoint, methods=[method], **kwargs)
        hidden = {**kwargs, "include_in_schema": False}
        router.add_api_route(other, endpoint, methods=[method], **hidden)
        return endpoint

    return decorator
