"""/api/auth/users: the active organization's members, as the browser frontend manages them.
Every write names its organization in the JSON body (`database`), DELETE included."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from clockify_tracker.auth.dependencies import CurrentAccount
from clockify_tracker.auth.principal import AccountPrincipal
from clockify_tracker.kit.envelope import Envelope
from clockify_tracker.kit.validation import NoNul
from clockify_tracker.kit.web import DbSession
from clockify_tracker.organization import member_service
from clockify_tracker.organization.member_schemas import (
    MemberCreateRequest,
    MemberOut,
    MemberRemoveRequest,
    MemberRoleRequest,
    MembersData,
    member_out,
    members_data,
)
from clockify_tracker.organization.member_service import NewMember

router = APIRouter(prefix="/api/auth/users", tags=["usuarios"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Sin sesión, o la sesión expiró"},
    403: {"description": "No administras esa organización (o no existe)"},
}
_CHANGE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    404: {"description": "Ese usuario no pertenece a la organización"},
    409: {"description": "La organización se quedaría sin administradores"},
}


def _actor(principal: AccountPrincipal) -> str:
    return f"{principal.email} (cuenta {principal.account_id})"


@router.get(
    "",
    summary="Usuarios de la organización activa",
    response_model=Envelope[MembersData],
    responses=_ERRORS,
)
async def list_members(
    principal: CurrentAccount,
    session: DbSession,
    database: Annotated[
        str | None,
        Query(
            max_length=200, description="Another of your organizations; the active one if absent"
        ),
        NoNul,
    ] = None,
) -> Envelope[MembersData]:
    """Un administrador ve a todos los miembros; cualquier otro rol, solo su propia ficha."""
    listed = await member_service.list_members(session, principal, database)
    return Envelope(data=members_data(listed))


@router.post(
    "",
    summary="Crear un usuario o agregar una cuenta existente",
    status_code=201,
    response_model=Envelope[MemberOut],
    responses={**_ERRORS, 409: {"description": "Ya pertenece a la organización"}},
)
async def add_member(
    body: MemberCreateRequest, principal: CurrentAccount, session: DbSession
) -> Envelope[MemberOut]:
    """Crea la cuenta con su membresía, o agrega a la organización la cuenta que ya tiene ese
    correo (su contraseña y sus datos no cambian)."""
    organization = await member_service.administered_organization(session, principal, body.database)
    member, created = await member_service.add_member(
        session,
        organization,
        NewMember(
            email=str(body.correo),
            name=body.nombre,
            password=body.contraseña or "",
            role=body.tipo_usuario,
            phone=body.telefono,
            birth_date=body.fecha_nacimiento,
        ),
        _actor(principal),
    )
    message = (
        "Usuario creado"
        if created
        else "La cuenta ya existía: se agregó a la organización sin cambiar sus datos"
    )
    return Envelope(data=member_out(member), message=message)


@router.patch(
    "",
    summary="Cambiar el rol de un miembro",
    response_model=Envelope[MemberOut],
    responses=_CHANGE_ERRORS,
)
async def change_role(
    body: MemberRoleRequest, principal: CurrentAccount, session: DbSession
) -> Envelope[MemberOut]:
    """El último administrador no puede dejar de serlo."""
    organization = await member_service.administered_organization(session, principal, body.database)
    member = await member_service.change_role(
        session, organization, body.id_usuario, body.tipo_usuario, _actor(principal)
    )
    return Envelope(data=member_out(member), message="Rol actualizado")


@router.delete(
    "",
    summary="Quitar a un miembro de la organización",
    response_model=Envelope[MemberOut],
    responses=_CHANGE_ERRORS,
)
async def remove_member(
    body: MemberRemoveRequest, principal: CurrentAccount, session: DbSession
) -> Envelope[MemberOut]:
    """Solo se quita esta membresía: la cuenta y sus otras organizaciones no cambian. El
    último administrador no puede quitarse."""
    organization = await member_service.administered_organization(session, principal, body.database)
    member = await member_service.remove_member(
        session, organization, body.id_usuario, _actor(principal)
    )
    return Envelope(data=member_out(member), message="Usuario eliminado de la organización")
