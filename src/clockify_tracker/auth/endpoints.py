"""/api/auth: browser sessions in HttpOnly cookies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Request, Response, Security
from fastapi.responses import JSONResponse

from clockify_tracker.auth import service
from clockify_tracker.auth.cookies import (
    clear_session_cookies,
    set_access_cookie,
    set_session_cookies,
)
from clockify_tracker.auth.dependencies import (
    ACCESS_COOKIE,
    REFRESH_COOKIE,
    Codec,
    CurrentAccount,
    TrustedOrigin,
    access_cookie,
    bearer_header,
    current_account,
)
from clockify_tracker.auth.principal import AccountPrincipal
from clockify_tracker.auth.ratelimit import LoginLimiter, RegistrationLimiter
from clockify_tracker.auth.schemas import (
    LoginRequest,
    RegisterRequest,
    SessionData,
    SwitchByDatabaseRequest,
    SwitchOrganizationRequest,
    session_data,
)
from clockify_tracker.exception_handlers import error_response
from clockify_tracker.exceptions import UnauthorizedError
from clockify_tracker.kit.envelope import Envelope
from clockify_tracker.kit.web import DbSession, Services

router = APIRouter(prefix="/api/auth", tags=["auth"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in, or the token is invalid, expired or revoked"},
    403: {"description": "Write from a foreign Origin, or no access to that organization"},
}


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/login",
    summary="Log in: sets the access_token and refresh_token cookies",
    response_model=Envelope[SessionData],
    dependencies=[TrustedOrigin],
    responses={
        401: {"description": "Wrong email or password (the same answer for both)"},
        429: {"description": "Too many failed attempts for this account or address"},
    },
)
async def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: DbSession,
    services: Services,
    codec: Codec,
) -> Envelope[SessionData]:
    """Checks the password and starts a browser session (access 15 min, refresh 7 days)."""
    view, tokens = await service.login(
        session,
        services.database,
        LoginLimiter(services.redis, services.settings),
        codec,
        services.settings,
        email=str(body.email),
        password=body.password,
        client_address=_client_address(request),
    )
    set_session_cookies(response, tokens, services.settings, codec)
    return Envelope(data=session_data(view), message="Sesión iniciada")


@router.post(
    "/refresh",
    summary="Rotate the session cookies",
    response_model=Envelope[SessionData],
    dependencies=[TrustedOrigin],
    responses={401: {"description": "No refresh cookie, or it is invalid, spent or revoked"}},
)
async def refresh(
    request: Request,
    response: Response,
    session: DbSession,
    services: Services,
    codec: Codec,
    refresh_token: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
) -> Envelope[SessionData] | JSONResponse:
    """Spends the refresh cookie and issues a new pair; a spent one presented again ends the
    whole session family (it was copied)."""
    return await _rotate(request, response, session, services, codec, refresh_token)


async def _rotate(
    request: Request,
    response: Response,
    session: DbSession,
    services: Services,
    codec: Codec,
    refresh_token: str | None,
) -> Envelope[SessionData] | JSONResponse:
    outcome = await service.refresh(session, services.redis, codec, refresh_token)
    if isinstance(outcome, service.RefreshFailure):
        # Returned, not raised: the family revocation must be committed.
        failure = error_response(
            request, 401, "unauthorized", "La sesión no es válida; inicia sesión de nuevo"
        )
        clear_session_cookies(failure, services.settings)
        return failure
    view, tokens = outcome
    set_session_cookies(response, tokens, services.settings, codec)
    return Envelope(data=session_data(view), message="Sesión renovada")


@router.post(
    "/logout",
    summary="Log out: revokes the session and clears the cookies",
    response_model=Envelope[None],
    dependencies=[TrustedOrigin],
)
async def logout(
    response: Response,
    session: DbSession,
    services: Services,
    codec: Codec,
    access_token: Annotated[str | None, Cookie(alias=ACCESS_COOKIE)] = None,
    refresh_token: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
) -> Envelope[None]:
    """After this, the old cookies are refused even if someone kept a copy."""
    await service.logout(
        session, services.redis, codec, access_value=access_token, refresh_value=refresh_token
    )
    clear_session_cookies(response, services.settings)
    return Envelope(data=None, message="Sesión cerrada")


@router.get(
    "/me",
    summary="La cuenta con sesión, sus organizaciones y roles (renueva una sesión expirada)",
    response_model=Envelope[SessionData],
    responses={401: _ERRORS[401]},
)
async def me(
    request: Request,
    response: Response,
    session: DbSession,
    services: Services,
    codec: Codec,
    cookie: Annotated[str | None, Security(access_cookie)] = None,
    authorization: Annotated[str | None, Security(bearer_header)] = None,
    refresh_token: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
) -> Envelope[SessionData] | JSONResponse:
    """Who you are, where you belong, and which organization is active. A browser back after
    its access cookie expired, with its refresh cookie still valid, is renewed here exactly as
    by `/refresh` (new cookies; a spent refresh cookie ends the whole session)."""
    try:
        principal = await current_account(request, services, codec, cookie, authorization)
    except UnauthorizedError:
        if not refresh_token or authorization:
            raise
        return await _rotate(request, response, session, services, codec, refresh_token)
    return Envelope(data=session_data(await service.describe_principal(session, principal)))


@router.post(
    "/organizacion-activa",
    summary="Switch the active organization",
    response_model=Envelope[SessionData],
    responses={**_ERRORS, 404: {"description": "No organization by that name"}},
)
async def switch_organization(
    body: SwitchOrganizationRequest,
    principal: CurrentAccount,
    response: Response,
    session: DbSession,
    services: Services,
    codec: Codec,
) -> Envelope[SessionData]:
    """Makes another of your organizations the active one; a new access cookie carries it."""
    return await _switch(body.organizacion, principal, response, session, services, codec)


@router.post(
    "/switch-organization",
    summary="Cambiar de organización activa (por su database, como lo pide el frontend)",
    response_model=Envelope[SessionData],
    responses={**_ERRORS, 404: {"description": "No organization by that name"}},
)
async def switch_organization_by_database(
    body: SwitchByDatabaseRequest,
    principal: CurrentAccount,
    response: Response,
    session: DbSession,
    services: Services,
    codec: Codec,
) -> Envelope[SessionData]:
    """The same switch as `/organizacion-activa`, named by `database` (name or slug work too);
    the answer carries `organizacionActiva` and `organizaciones` with the new access cookie."""
    return await _switch(body.database, principal, response, session, services, codec)


async def _switch(
    reference: str,
    principal: AccountPrincipal,
    response: Response,
    session: DbSession,
    services: Services,
    codec: Codec,
) -> Envelope[SessionData]:
    view, token = await service.switch_organization(session, codec, principal, reference)
    set_access_cookie(response, token, services.settings, codec)
    return Envelope(data=session_data(view), message="Organización activa cambiada")


@router.post(
    "/register",
    summary="Registrar una organización nueva y su administrador (si REGISTRATION_ENABLED)",
    status_code=201,
    response_model=Envelope[SessionData],
    dependencies=[TrustedOrigin],
    responses={
        403: {"description": "Registration is off on this installation"},
        409: {"description": "The organization or the email exists already"},
        429: {"description": "Too many sign-ups from this address"},
    },
)
async def register(
    body: RegisterRequest,
    request: Request,
    response: Response,
    session: DbSession,
    services: Services,
    codec: Codec,
) -> Envelope[SessionData]:
    """Creates the organization with the registrant as its administrator and logs in at once,
    answering as `/login` does (the session object and its cookies)."""
    view, tokens = await service.register(
        session,
        RegistrationLimiter(services.redis, services.settings),
        codec,
        service.Registration(
            organization_name=body.organizacion,
            name=body.nombre,
            email=str(body.correo),
            password=body.contraseña,
            phone=body.telefono,
            birth_date=body.fecha_nacimiento,
        ),
        enabled=services.settings.registration_enabled,
        client_address=_client_address(request),
    )
    set_session_cookies(response, tokens, services.settings, codec)
    return Envelope(data=session_data(view), message="Cuenta y organización creadas")
