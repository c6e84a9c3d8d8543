"""Wire shapes of /api/auth (Spanish field names, as the browser frontend expects)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from clockify_tracker.auth.service import AccountView, Membership
from clockify_tracker.kit.validation import CleanStr


class LoginRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "admin@example.com", "password": "••••••••••"}]}
    )

    email: EmailStr = Field(description="The account's email (any letter case)")
    password: str = Field(min_length=1, max_length=1024, description="The account's password")


class SwitchOrganizationRequest(BaseModel):
    organizacion: CleanStr = Field(
        min_length=1,
        max_length=200,
        description="Organization name, slug or database name (`org_<slug>`)",
        examples=["Mi Empresa"],
    )


class AccountOut(BaseModel):
    id: int = Field(examples=[1])
    email: str = Field(examples=["admin@example.com"])
    correo: str = Field(examples=["admin@example.com"])
    nombre: str = Field(examples=["Ana Administradora"])
    superadmin: bool = Field(examples=[False])


class OrganizationOut(BaseModel):
    id: int = Field(examples=[1])
    nombre: str = Field(examples=["Mi Empresa"])
    slug: str = Field(examples=["mi_empresa"])
    database: str = Field(examples=["org_mi_empresa"])
    rol: str = Field(
        description="administrador, coordinador or contador", examples=["administrador"]
    )


class SessionData(BaseModel):
    cuenta: AccountOut
    organizaciones: list[OrganizationOut]
    organizacionActiva: OrganizationOut | None  # noqa: N815 - wire name
    tipo_usuario: str | None = Field(description="The role in the active organization")


def _organization_out(membership: Membership) -> OrganizationOut:
    organization = membership.organization
    return OrganizationOut(
        id=organization.id,
        nombre=organization.name,
        slug=organization.slug,
        database=organization.database_name,
        rol=membership.role.value,
    )


def session_data(view: AccountView) -> SessionData:
    account = view.account
    return SessionData(
        cuenta=AccountOut(
            id=account.id,
            email=account.email,
            correo=account.email,
            nombre=account.name,
            superadmin=account.is_superadmin,
        ),
        organizaciones=[_organization_out(m) for m in view.memberships],
        organizacionActiva=_organization_out(view.active) if view.active else None,
        tipo_usuario=view.active.role.value if view.active else None,
    )
