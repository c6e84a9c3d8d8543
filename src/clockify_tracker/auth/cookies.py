"""The session cookies: HttpOnly, SameSite=Lax, Secure outside development."""

from __future__ import annotations

from starlette.responses import Response

from clockify_tracker.auth.dependencies import ACCESS_COOKIE, REFRESH_COOKIE
from clockify_tracker.auth.tokens import IssuedToken, TokenCodec
from clockify_tracker.config import Settings

# The refresh token is only ever needed by /api/auth, so no other route receives it.
REFRESH_PATH = "/api/auth"


def set_access_cookie(
    response: Response, token: IssuedToken, settings: Settings, codec: TokenCodec
) -> None:
    response.set_cookie(
        ACCESS_COOKIE,
        token.value,
        max_age=int(codec.lifetime("access").total_seconds()),
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )


def set_refresh_cookie(
    response: Response, token: IssuedToken, settings: Settings, codec: TokenCodec
) -> None:
    response.set_cookie(
        REFRESH_COOKIE,
        token.value,
        max_age=int(codec.lifetime("refresh").total_seconds()),
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path=REFRESH_PATH,
    )


def clear_session_cookies(response: Response, settings: Settings) -> None:
    for name, path in ((ACCESS_COOKIE, "/"), (REFRESH_COOKIE, REFRESH_PATH)):
        response.delete_cookie(
            name, path=path, httponly=True, secure=settings.secure_cookies, samesite="lax"
        )
