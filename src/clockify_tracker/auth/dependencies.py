"""Request-scoped authentication: cookie or Bearer JWT for accounts, SECRET_TOKEN for machines,
and the Origin check that keeps cookie-authenticated writes from other sites out."""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, APIKeyHeader

from clockify_tracker.auth import service
from clockify_tracker.auth.principal import AccountPrincipal, Principal, ServicePrincipal
from clockify_tracker.auth.tokens import TokenCodec
from clockify_tracker.config import Settings
from clockify_tracker.exceptions import ForbiddenError, UnauthorizedError
from clockify_tracker.kit.web import Services

ACCESS_COOKIE = "access_token"
REFRESH_COOKIE = "refresh_token"
_UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

access_cookie = APIKeyCookie(
    name=ACCESS_COOKIE,
    auto_error=False,
    scheme_name="cookie",
    description="Set by `POST /api/auth/login`; Swagger UI sends it once you have logged in.",
)
authorization_header = APIKeyHeader(
    name="Authorization",
    auto_error=False,
    scheme_name="service_token",
    description="`SECRET_TOKEN` as is or as `Bearer <token>` (machine clients).",
)
bearer_header = APIKeyHeader(
    name="Authorization",
    auto_error=False,
    scheme_name="bearer_jwt",
    description="`Bearer <access JWT>`: an account's access token, for clients without cookies.",
)
webhook_token_header = APIKeyHeader(
    name="X-Webhook-Token",
    auto_error=False,
    scheme_name="x_webhook_token",
    description="`SECRET_TOKEN`, in the header the first implementation read.",
)


async def get_codec(services: Services) -> TokenCodec:
    return TokenCodec(services.settings)


Codec = Annotated[TokenCodec, Depends(get_codec)]


def check_origin(request: Request, settings: Settings) -> None:
    """403 for a browser write from an origin that is neither this service nor CORS_ORIGINS.
    Requests without Origin or Referer are not from a browser form or script on another site
    (browsers always send Origin on cross-site writes) and pass."""
    origin = request.headers.get("origin")
    if origin is None and (referer := request.headers.get("referer")):
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin is None:
        return
    if origin in settings.cors_origins:
        return
    parts = urlsplit(origin)
    # The scheme counts: a page on http://host must not write to https://host, nor the reverse
    # (behind a TLS proxy, FORWARDED_ALLOW_IPS lets the request carry its real scheme).
    if origin != "null" and (parts.scheme, parts.netloc) == (
        request.url.scheme,
        request.url.netloc,
    ):
        return
    raise ForbiddenError("Origen no permitido para esta operación")


async def require_trusted_origin(request: Request, services: Services) -> None:
    if request.method in _UNSAFE_METHODS:
        check_origin(request, services.settings)


def _bearer(value: str) -> str | None:
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def is_service_token(candidate: str | None, settings: Settings) -> bool:
    expected = settings.secret_token.get_secret_value()
    if not candidate or not expected:
        return False
    return hmac.compare_digest(candidate.encode(), expected.encode())


async def current_account(
    request: Request,
    services: Services,
    codec: Codec,
    cookie: Annotated[str | None, Security(access_cookie)] = None,
    authorization: Annotated[str | None, Security(bearer_header)] = None,
) -> AccountPrincipal:
    """The logged-in account; 401 without a valid, unrevoked token."""
    bearer = _bearer(authorization) if authorization else None
    if bearer:
        return await service.authenticate(services.redis, codec, bearer, "bearer")
    if cookie:
        if request.method in _UNSAFE_METHODS:
            check_origin(request, services.settings)
        return await service.authenticate(services.redis, codec, cookie, "cookie")
    raise UnauthorizedError("Inicia sesión para continuar")


async def current_principal(
    request: Request,
    services: Services,
    codec: Codec,
    cookie: Annotated[str | None, Security(access_cookie)] = None,
    authorization: Annotated[str | None, Security(authorization_header)] = None,
    webhook_token: Annotated[str | None, Security(webhook_token_header)] = None,
) -> Principal:
    """The service token in any of its three forms, or else a logged-in account."""
    settings = services.settings
    if authorization and (
        is_service_token(authorization.strip(), settings)
        or is_service_token(_bearer(authorization), settings)
    ):
        return ServicePrincipal()
    if webhook_token is not None:
        if is_service_token(webhook_token.strip(), settings):
            return ServicePrincipal()
        raise UnauthorizedError("Token inválido")
    if authorization and _bearer(authorization) is None and not cookie:
        raise UnauthorizedError("Token inválido")
    return await current_account(request, services, codec, cookie, authorization)


CurrentAccount = Annotated[AccountPrincipal, Depends(current_account)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
TrustedOrigin = Depends(require_trusted_origin)
