"""The session cookies: HttpOnly, SameSite=Lax, Secure outside development."""

from __future__ import annotations

from starlette.responses import Response

from clockify_tracker.auth.dependencies import ACCESS_COOKIE, REFRESH_COOKIE
from clockify_tracker.auth.service import SessionTokens
from clockify_tracker.auth.tokens import IssuedToken, TokenCodec
from clockify_tracker.config import Settings

# The refresh token is only ever needed by /api/auth, so no other route receives it.
REFRESH_PATH = "/api/auth"


def _set(
    response: Response, name: str, token: IssuedToken, lifetime_seconds: int, path: str,
    settings: Settings,
) -> None:  # fmt: skip
    response.set_cookie(
        name,
        token.value,
        max_age=lifetime_seconds,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path=path,
    )


def set_access_cookie(
    response: Response, token: IssuedToken, settings: Settings, codec: TokenCodec
) -> None:
    lifetime = int(codec.lifetime("access").total_seconds())
    _set(response, ACCESS_COOKIE, token, lifetime, "/", settings)


def set_session_cookies(
    response: Response, tokens: SessionTokens, settings: Settings, codec: TokenCodec
) -> None:
    """Both cookies of a new or rotated session."""
    set_access_cookie(response, tokens.access, settings, codec)
    lifetime = int(codec.lifetime("refresh").total_seconds())
    _set(response, REFRESH_COOKIE, tokens.refresh, lifetime, REFRESH_PATH, settings)


def clear_session_cookies(response: Response, settings: Settings) -> None:
    for name, path in ((ACCESS_COOKIE, "/"), (REFRESH_COOKIE, REFRESH_PATH)):
        response.delete_cookie(
            name, path=path, httponly=True, secure=settings.secure_cookies, samesite="lax"
        )
