"""Wire shapes of /api/auth (Spanish field names, as the browser frontend expects)."""

from __future__ import annotations

from datetime import date

from pydantic import AliasChoices, BaseModel, ConfigDict, EmailStr, Field

from clockify_tracker.auth.service import AccountView, Membership
from clockify_tracker.kit.validation import CleanStr, PastDate, Phone
from clockify_tracker.models import Role


class LoginRequest(BaseModel):
    """The frontend sends `correo`/`contraseña`; Swagger and scripts may send `email`/`password`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"correo": "admin@example.com", "contraseña": "••••••••••"},
                {"email": "admin@example.com", "password": "••••••••••"},
            ]
        }
    )

    email: EmailStr = Field(
        validation_alias=AliasChoices("email", "correo"),
        description="The account's email (any letter case); also accepted as `correo`",
    )
    password: str = Field(
        min_length=1,
        max_length=1024,
        validation_alias=AliasChoices("password", "contraseña"),
        description="The account's password; also accepted as `contraseña`",
    )


class SwitchOrganizationRequest(BaseModel):
    organizacion: CleanStr = Field(
        min_length=1,
        max_length=200,
        description="Organization name, slug or database name (`org_<slug>`)",
        examples=["Mi Empresa"],
    )


class SwitchByDatabaseRequest(BaseModel):
    """The frontend's organization switcher sends the database name it was given."""

    database: CleanStr = Field(
        min_length=1,
        max_length=200,
        description="Database name (`org_<slug>`); the name or slug are accepted too",
        examples=["org_mi_empresa"],
    )


class RegisterRequest(BaseModel):
    """The frontend's sign-up form, as it posts it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "organizacion": "Contadores Asociados",
                    "nombre": "Ana Pérez",
                    "fecha_nacimiento": "1990-04-12",
                    "contraseña": "••••••••••",
                    "telefono": "5512345678",
                    "correo": "ana@example.com",
                }
            ]
        }
    )

    organizacion: CleanStr = Field(
        min_length=1, max_length=120, description="Name of the new organization"
    )
    nombre: CleanStr = Field(min_length=1, max_length=200, description="The registrant's name")
    correo: EmailStr = Field(description="The registrant's email; it becomes the login")
    contraseña: str = Field(min_length=1, max_length=1024, description="At least 10 characters")
    telefono: Phone | None = Field(default=None, description="Phone number")
    fecha_nacimiento: PastDate | None = Field(default=None, description="Birth date, YYYY-MM-DD")


class AccountOut(BaseModel):
    id: int = Field(examples=[1])
    email: str = Field(examples=["admin@example.com"])
    correo: str = Field(examples=["admin@example.com"])
    nombre: str = Field(examples=["Ana Administradora"])
    superadmin: bool = Field(examples=[False])
    telefono: str | None = Field(default=None, examples=["5512345678"])
    fecha_nacimiento: date | None = Field(default=None, examples=["1990-04-12"])


class OrganizationOut(BaseModel):
    id: int = Field(examples=[1])
    nombre: str = Field(examples=["Mi Empresa"])
    slug: str = Field(examples=["mi_empresa"])
    database: str = Field(examples=["org_mi_empresa"])
    rol: str = Field(
        description="The role as a two-role client knows it: administrador or contador "
        "(a coordinador appears as contador)",
        examples=["administrador"],
    )
    rolExacto: str = Field(  # noqa: N815 - wire name
        description="The exact role: administrador, coordinador or contador",
        examples=["administrador"],
    )
    esActiva: bool = Field(  # noqa: N815 - wire name
        description="Whether this is the active organization", examples=[True]
    )


class SessionData(BaseModel):
    """The session object: the browser frontend's flat fields, and the account beside them."""

    userId: int = Field(examples=[1])  # noqa: N815 - wire name
    nombre: str = Field(examples=["Ana Administradora"])
    correo: str = Field(examples=["admin@example.com"])
    tipo_usuario: str | None = Field(
        description="The role in the active organization as a two-role client knows it "
        "(administrador or contador; a coordinador appears as contador)",
        examples=["administrador"],
    )
    rolExacto: str | None = Field(  # noqa: N815 - wire name
        description="The exact role in the active organization", examples=["administrador"]
    )
    cuenta: AccountOut
    organizaciones: list[OrganizationOut]
    organizacionActiva: OrganizationOut | None  # noqa: N815 - wire name


def client_role(role: Role) -> str:
    """The role a two-role client (administrador | contador) can act on: a coordinator's
    powers live in the coordinators' API, so in the frontend it is a read-only contador."""
    return Role.ADMINISTRADOR.value if role is Role.ADMINISTRADOR else Role.CONTADOR.value


def _organization_out(membership: Membership, active: Membership | None) -> OrganizationOut:
    organization = membership.organization
    return OrganizationOut(
        id=organization.id,
        nombre=organization.name,
        slug=organization.slug,
        database=organization.database_name,
        rol=client_role(membership.role),
        rolExacto=membership.role.value,
        esActiva=active is not None and active.organization.id == organization.id,
    )


def session_data(view: AccountView) -> SessionData:
    account, active = view.account, view.active
    return SessionData(
        userId=account.id,
        nombre=account.name,
        correo=account.email,
        tipo_usuario=client_role(active.role) if active else None,
        rolExacto=active.role.value if active else None,
        cuenta=AccountOut(
            id=account.id,
            email=account.email,
            correo=account.email,
            nombre=account.name,
            superadmin=account.is_superadmin,
            telefono=account.phone,
            fecha_nacimiento=account.birth_date,
        ),
        organizaciones=[_organization_out(m, active) for m in view.memberships],
        organizacionActiva=_organization_out(active, active) if active else None,
    )
