"""Wire shapes of /api/auth/users: the browser frontend's Usuarios screen, field for field."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from clockify_tracker.auth.schemas import client_role
from clockify_tracker.kit.validation import CleanStr, DbId, PastDate, Phone
from clockify_tracker.models import Role
from clockify_tracker.organization.member_service import Member, MemberList

_DATABASE = Field(
    min_length=1,
    max_length=200,
    description="The organization: its database name (`org_<slug>`), name or slug",
    examples=["org_mi_empresa"],
)
_ROLE = Field(description="administrador, coordinador or contador", examples=["contador"])


class MemberCreateRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "nombre": "Luis Contador",
                    "correo": "luis@example.com",
                    "contraseña": "••••••••••",
                    "telefono": "5512345678",
                    "fecha_nacimiento": "1988-02-29",
                    "tipo_usuario": "contador",
                    "database": "org_mi_empresa",
                }
            ]
        }
    )

    nombre: CleanStr = Field(min_length=1, max_length=200, description="Display name")
    correo: EmailStr = Field(
        description="Login email; an existing account with it is added to the organization "
        "as it is (its password and details untouched)"
    )
    contraseña: str | None = Field(
        default=None,
        min_length=1,
        max_length=1024,
        description="At least 10 characters; required only when the account is new",
    )
    telefono: Phone | None = Field(default=None, description="Phone number")
    fecha_nacimiento: PastDate | None = Field(default=None, description="YYYY-MM-DD")
    tipo_usuario: Role = _ROLE
    database: CleanStr = _DATABASE

    @field_validator("telefono", "fecha_nacimiento", "contraseña", mode="before")
    @classmethod
    def _empty_is_absent(cls, value: Any) -> Any:
        # A form's untouched input arrives as "".
        return None if value == "" else value


class MemberRoleRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id_usuario": 7, "tipo_usuario": "administrador", "database": "org_mi_empresa"}
            ]
        }
    )

    id_usuario: DbId = Field(description="The `id` the member list gave")
    tipo_usuario: Role = _ROLE
    database: CleanStr = _DATABASE


class MemberRemoveRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id_usuario": 7, "database": "org_mi_empresa"}]}
    )

    id_usuario: DbId = Field(description="The `id` the member list gave")
    database: CleanStr = _DATABASE


class MemberOut(BaseModel):
    id: int = Field(description="The account's id (`id_usuario` in changes)", examples=[7])
    nombre: str = Field(examples=["Luis Contador"])
    correo: str = Field(examples=["luis@example.com"])
    telefono: str | None = Field(examples=["5512345678"])
    fecha_nacimiento: date | None = Field(examples=["1988-02-29"])
    tipo_usuario: str = Field(
        description="The exact role: administrador, coordinador or contador",
        examples=["contador"],
    )
    created_at: datetime = Field(description="When the account joined the organization")


class MembersData(BaseModel):
    role: str = Field(
        description="The caller's role there as a two-role client knows it "
        "(administrador or contador)",
        examples=["administrador"],
    )
    rolExacto: str = Field(  # noqa: N815 - wire name
        description="The caller's exact role there", examples=["administrador"]
    )
    database: str = Field(examples=["org_mi_empresa"])
    organizacion: str = Field(examples=["Mi Empresa"])
    totalUsers: int = Field(  # noqa: N815 - wire name
        description="How many entries `users` has", examples=[1]
    )
    users: list[MemberOut]


def member_out(member: Member) -> MemberOut:
    account = member.account
    return MemberOut(
        id=account.id,
        nombre=account.name,
        correo=account.email,
        telefono=account.phone,
        fecha_nacimiento=account.birth_date,
        tipo_usuario=member.role.value,
        created_at=member.joined_at,
    )


def members_data(listed: MemberList) -> MembersData:
    return MembersData(
        role=client_role(listed.caller_role),
        rolExacto=listed.caller_role.value,
        database=listed.organization.database_name,
        organizacion=listed.organization.name,
        totalUsers=len(listed.members),
        users=[member_out(m) for m in listed.members],
    )
