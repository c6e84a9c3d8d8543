"""Wire shapes of the Clockify part (the seed's camelCase names)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AliasChoices,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    field_validator,
)

from clockify_tracker.clockify.payload import format_duration, parse_duration
from clockify_tracker.clockify.repository import BinnacleRow, SessionRow
from clockify_tracker.kit.text import single_line
from clockify_tracker.kit.validation import INT64_MAX, CleanStr
from clockify_tracker.models import ClockifyUser, ClockifyUserChange


class WebhookAccepted(BaseModel):
    message: str = Field(examples=["Evento recibido"])
    outcome: str = Field(
        description="accepted (stored; applied by the worker within moments) or duplicate "
        "(this exact delivery was received before)",
        examples=["accepted"],
    )
    deliveryId: int | None = Field(examples=[1024])  # noqa: N815 - wire name


class SessionOut(BaseModel):
    """A session as the API shows it: the seed's names, camelCase, with the audit fields."""

    idSesion: int = Field(examples=[15])  # noqa: N815
    externalSesionId: str = Field(examples=["6260fee78065a229df4561dd"])  # noqa: N815
    external_sesion_id: str = Field(description="Legacy alias of externalSesionId (seed clients)")
    description: str = Field(examples=["Planeación"])
    idUser: int = Field(examples=[3])  # noqa: N815
    externalUserId: str = Field(examples=["625cf4a6a7d9d34012f70de1"])  # noqa: N815
    userName: str = Field(examples=["Ana Pérez"])  # noqa: N815
    userEmail: str | None = Field(examples=["ana@example.com"])  # noqa: N815
    idProject: str | None = Field(examples=["625d15dfbea8f62f6f3aa377"])  # noqa: N815
    projectName: str | None = Field(examples=["Proyecto Interno"])  # noqa: N815
    idWorkspace: str = Field(examples=["625cf4a6a7d9d34012f70de2"])  # noqa: N815
    workspaceName: str = Field(  # noqa: N815
        description="The name sent when the session was made by hand; else the workspace's "
        "name as its organization registered it; else the organization's name (Clockify's "
        "webhooks do not carry it)",
        examples=["ActionTracker"],
    )
    idTask: str | None = Field(examples=[None])  # noqa: N815
    taskName: str | None = Field(examples=[None])  # noqa: N815
    tags: list[dict[str, str | None]] = Field(examples=[[{"id": "68452a1b", "name": "new"}]])
    billable: bool | None = None
    startDate: datetime  # noqa: N815
    endDate: datetime | None  # noqa: N815
    duration: str | None = Field(description="ISO-8601", examples=["PT2H"])
    timeZone: str = Field(examples=["America/Mexico_City"])  # noqa: N815
    localDate: date = Field(description="The start's day in timeZone")  # noqa: N815
    offsetStart: int | None  # noqa: N815
    offsetEnd: int | None  # noqa: N815
    currentlyRunning: bool  # noqa: N815
    isManual: bool  # noqa: N815
    overtime: bool
    updatingQuantity: int = Field(examples=[1])  # noqa: N815
    status: str | None = Field(examples=["EN OBSERVACION"])
    observation: str | None = Field(examples=[None])
    validStartDate: datetime | None  # noqa: N815
    validEndDate: datetime | None  # noqa: N815
    validDuration: str | None = Field(examples=["PT2H"])  # noqa: N815
    enable: bool
    disableTime: datetime | None  # noqa: N815
    createdAt: datetime  # noqa: N815
    updatedAt: datetime  # noqa: N815


class SessionDecided(SessionOut):
    """The session after the decision, with the seed's confirmation text."""

    message: str = Field(
        description="`Sesión aprobada correctamente` or `Sesión reprobada correctamente`",
        examples=["Sesión aprobada correctamente"],
    )


class SessionCreated(SessionOut):
    """The new session, with the seed's confirmation and its id."""

    message: str = Field(description="Always `Session created`", examples=["Session created"])
    id: int = Field(description="The new session's id (same as idSesion)", examples=[15])


class SessionUpdated(SessionOut):
    """The corrected session, with the seed's confirmation."""

    message: str = Field(description="Always `Session updated`", examples=["Session updated"])


class SessionDeleted(SessionOut):
    """The session as deleted (`enable: false`), with the seed's confirmation."""

    message: str = Field(description="Always `Session deleted`", examples=["Session deleted"])


class ApproveRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"aprobado": True, "observacion": "Se ajustó correctamente el horario"}]
        }
    )

    aprobado: bool = Field(description="true approves, false rejects")
    observacion: CleanStr | None = Field(
        default=None, max_length=500, description="Coordinator's note"
    )


class BinnacleOut(BaseModel):
    """One audit entry: what happened and who did it, the change, the full snapshot, and the
    session's values as of this entry in the first implementation's flat fields."""

    idSesionBinnacle: int = Field(examples=[42])  # noqa: N815
    idSesion: int = Field(examples=[15])  # noqa: N815
    externalSesionId: str = Field(examples=["6260fee78065a229df4561dd"])  # noqa: N815
    external_sesion_id: str = Field(description="Legacy alias of externalSesionId")
    idUser: int = Field(description="The session's user (`id` of /users)", examples=[3])  # noqa: N815
    description: str = Field(
        description="The session's description as of this entry", examples=["Planeación"]
    )
    projectName: str | None = Field(  # noqa: N815
        description="The project as of this entry", examples=["Proyecto Interno"]
    )
    startDate: datetime | None = Field(  # noqa: N815
        description="The start as of this entry", examples=["2026-11-02T15:00:00Z"]
    )
    endDate: datetime | None = Field(  # noqa: N815
        description="The end as of this entry; null while running",
        examples=["2026-11-02T17:20:00Z"],
    )
    duration: str | None = Field(
        description="ISO-8601, as of this entry; null while running", examples=["PT2H20M"]
    )
    updatingQuantity: int = Field(  # noqa: N815
        description="Edits counted up to this entry", examples=[1]
    )
    enable: bool = Field(description="false once the session was deleted", examples=[True])
    event: str = Field(
        examples=["edit"], description="start, end, edit, delete, manual, approval, ..."
    )
    source: str = Field(examples=["webhook"], description="webhook, api or monitor")
    actor: str | None = Field(examples=["coordinacion@example.com"])
    changes: list[dict[str, Any]] = Field(
        examples=[
            [
                {
                    "field": "end_at",
                    "old": "2026-11-02T17:00:00+00:00",
                    "new": "2026-11-02T17:20:00+00:00",
                }
            ]
        ]
    )
    snapshot: dict[str, Any] = Field(description="Every audited column after this change")
    createdAt: datetime  # noqa: N815
    modifiedAt: datetime = Field(  # noqa: N815
        description="Same as createdAt: entries are never modified (kept for seed clients)"
    )


class UserOut(BaseModel):
    """The seed's user object (`id`, `ExternalUserId`, ...) plus the newer fields."""

    id: int = Field(examples=[3])
    idUser: int = Field(examples=[3])  # noqa: N815
    ExternalUserId: str = Field(examples=["625cf4a6a7d9d34012f70de1"])
    externalUserId: str = Field(examples=["625cf4a6a7d9d34012f70de1"])  # noqa: N815
    name: str = Field(examples=["Ana Pérez"])
    email: str | None = Field(examples=["ana@example.com"])
    hoursPerMonth: int | None = Field(examples=[160])  # noqa: N815
    enable: bool
    disabledTime: datetime | None  # noqa: N815
    notify: bool
    timeZone: str | None = Field(examples=["America/Mexico_City"])  # noqa: N815
    clockifyStatus: str | None = Field(examples=["ACTIVE"])  # noqa: N815
    createdAt: datetime  # noqa: N815
    updatedAt: datetime  # noqa: N815


def _zone(value: str | None) -> str | None:
    if value is not None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
    return value


# A user's name goes into email subjects: one line, as the webhook's names are made.
UserName = Annotated[CleanStr, AfterValidator(single_line)]


class UserUpdate(BaseModel):
    """What a coordinator sets on a user; only the fields sent change."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "Usuario Actualizado", "email": "actualizado@example.com", "enable": False}
            ]
        }
    )

    name: UserName | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    hoursPerMonth: int | None = Field(default=None, ge=0, le=744)  # noqa: N815
    enable: bool | None = None
    notify: bool | None = None
    timeZone: CleanStr | None = None  # noqa: N815

    _check_zone = field_validator("timeZone")(lambda cls, v: _zone(v))


class UserCreate(UserUpdate):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "Nuevo Usuario", "email": "nuevo@example.com", "externalUserId": "U999",
                 "hoursPerMonth": 160, "enable": True}
            ]
        }
    )  # fmt: skip

    ExternalUserId: CleanStr = Field(
        min_length=1,
        max_length=64,
        validation_alias=AliasChoices("ExternalUserId", "externalUserId"),
    )
    name: UserName = Field(min_length=1, max_length=200)


class UserEmailConfirm(BaseModel):
    """The address being confirmed, as the administrator saw it in the notice."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"email": "ana@example.com"}]})

    email: EmailStr = Field(description="Must be the user's current email")


class UserEmailConfirmed(BaseModel):
    message: str = Field(examples=["Correo confirmado: los reportes se envían a esa dirección"])
    ExternalUserId: str = Field(examples=["625cf4a6a7d9d34012f70de1"])
    email: str = Field(examples=["ana@example.com"])
    changedBy: str = Field(examples=["coordinacion@example.com"])  # noqa: N815
    changedAt: datetime  # noqa: N815
    confirmedBy: str = Field(examples=["admin@example.com"])  # noqa: N815


def user_email_confirmed(
    user: ClockifyUser, change: ClockifyUserChange, actor: str
) -> UserEmailConfirmed:
    return UserEmailConfirmed(
        message="Correo confirmado: los reportes se envían a esa dirección",
        ExternalUserId=user.external_id,
        email=user.email or "",
        changedBy=change.actor,
        changedAt=change.created_at,
        confirmedBy=actor,
    )


def user_out(user: ClockifyUser) -> UserOut:
    return UserOut(
        id=user.id,
        idUser=user.id,
        ExternalUserId=user.external_id,
        externalUserId=user.external_id,
        name=user.name,
        email=user.email,
        hoursPerMonth=user.hours_per_month,
        enable=user.enabled,
        disabledTime=user.disabled_at,
        notify=user.notify,
        timeZone=user.time_zone,
        clockifyStatus=user.clockify_status,
        createdAt=user.created_at,
        updatedAt=user.updated_at,
    )


def session_out(found: SessionRow) -> SessionOut:
    row, user, workspace_name = found
    return SessionOut(
        idSesion=row.id,
        externalSesionId=row.external_id,
        external_sesion_id=row.external_id,
        description=row.description,
        idUser=user.id,
        externalUserId=user.external_id,
        userName=user.name,
        userEmail=user.email,
        idProject=row.project_id,
        projectName=row.project_name,
        idWorkspace=row.workspace_id,
        workspaceName=workspace_name,
        idTask=row.task_id,
        taskName=row.task_name,
        tags=row.tags,
        billable=row.billable,
        startDate=row.start_at,
        endDate=row.end_at,
        duration=format_duration(row.duration_seconds),
        timeZone=row.time_zone,
        localDate=row.local_date,
        offsetStart=row.offset_start,
        offsetEnd=row.offset_end,
        currentlyRunning=row.currently_running,
        isManual=row.is_manual,
        overtime=row.overtime,
        updatingQuantity=row.updating_quantity,
        status=row.status,
        observation=row.observation,
        validStartDate=row.valid_start_at,
        validEndDate=row.valid_end_at,
        validDuration=format_duration(row.valid_duration_seconds),
        enable=row.enabled,
        disableTime=row.disabled_at,
        createdAt=row.created_at,
        updatedAt=row.updated_at,
    )


SessionAnswer = TypeVar("SessionAnswer", bound=SessionOut)


def with_message(found: SessionRow, answer: type[SessionAnswer], **extra: Any) -> SessionAnswer:
    """The session object with the seed's confirmation fields next to it."""
    return answer(**session_out(found).model_dump(), **extra)


def binnacle_out(found: BinnacleRow) -> BinnacleOut:
    entry, snapshot = found.entry, found.entry.snapshot
    return BinnacleOut(
        idSesionBinnacle=entry.id,
        idSesion=entry.session_id,
        externalSesionId=entry.external_id,
        external_sesion_id=entry.external_id,
        idUser=found.user_id,
        description=snapshot.get("description") or "",
        projectName=snapshot.get("project_name"),
        startDate=snapshot.get("start_at"),
        endDate=snapshot.get("end_at"),
        duration=format_duration(snapshot.get("duration_seconds")),
        updatingQuantity=snapshot.get("updating_quantity") or 0,
        enable=snapshot.get("enabled", True),
        event=entry.event,
        source=entry.source,
        actor=entry.actor,
        changes=entry.changes,
        snapshot=snapshot,
        createdAt=entry.created_at,
        modifiedAt=entry.created_at,
    )


class SessionCreate(BaseModel):
    """The seed README's create body, names as documented."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "external_sesion_id": "abc123", "description": "Tarea manual", "idUser": 42,
                    "idProject": "proj789", "projectName": "Proyecto Interno",
                    "idWorkspace": "ws001",
                    "workspaceName": "ActionTracker", "idTask": "task001", "taskName": "Planeación",
                    "startDate": "2025-07-15T08:00:00Z", "endDate": "2025-07-15T10:00:00Z",
                    "duration": "PT2H", "timeZone": "America/Bogota", "offsetStart": -18000,
                    "offsetEnd": -18000, "currentlyRunning": False,
                }
            ]
        }
    )  # fmt: skip

    external_sesion_id: CleanStr = Field(min_length=1, max_length=64)
    description: CleanStr = Field(default="", max_length=3000)
    idUser: int = Field(ge=1, le=INT64_MAX, description="Internal user id (`id` of /users)")  # noqa: N815
    idProject: CleanStr | None = Field(default=None, max_length=64)  # noqa: N815
    projectName: CleanStr | None = Field(default=None, max_length=500)  # noqa: N815
    idWorkspace: CleanStr | None = Field(default=None, max_length=64)  # noqa: N815
    workspaceName: CleanStr | None = Field(  # noqa: N815
        default=None,
        max_length=200,
        description="Kept with the session and answered back; when absent, the answer's "
        "workspaceName is the workspace's registered name, else the organization's",
    )
    idTask: CleanStr | None = Field(default=None, max_length=64)  # noqa: N815
    taskName: CleanStr | None = Field(default=None, max_length=500)  # noqa: N815
    startDate: AwareDatetime  # noqa: N815
    endDate: AwareDatetime | None = None  # noqa: N815
    duration: CleanStr | None = Field(default=None, description="ISO-8601, e.g. PT2H")
    timeZone: CleanStr | None = None  # noqa: N815
    offsetStart: int | None = Field(default=None, ge=-86400, le=86400)  # noqa: N815
    offsetEnd: int | None = Field(default=None, ge=-86400, le=86400)  # noqa: N815
    currentlyRunning: bool | None = None  # noqa: N815

    _check_zone = field_validator("timeZone")(lambda cls, v: _zone(v))
    _check_duration = field_validator("duration")(lambda cls, v: _iso(v))


class SessionUpdate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"description": "Tarea corregida", "endDate": "2025-07-15T11:00:00Z"}]
        }
    )

    description: CleanStr | None = Field(default=None, max_length=3000)
    idProject: CleanStr | None = Field(default=None, max_length=64)  # noqa: N815
    projectName: CleanStr | None = Field(default=None, max_length=500)  # noqa: N815
    idTask: CleanStr | None = Field(default=None, max_length=64)  # noqa: N815
    taskName: CleanStr | None = Field(default=None, max_length=500)  # noqa: N815
    startDate: AwareDatetime | None = None  # noqa: N815
    endDate: AwareDatetime | None = None  # noqa: N815
    duration: CleanStr | None = None
    timeZone: CleanStr | None = None  # noqa: N815

    _check_zone = field_validator("timeZone")(lambda cls, v: _zone(v))
    _check_duration = field_validator("duration")(lambda cls, v: _iso(v))


class BinnacleNote(BaseModel):
    """A coordinator's note on a session's record (the binnacle stays append-only)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"idSesion": 24, "description": "Cambio manual"}]}
    )

    idSesion: int = Field(ge=1, le=INT64_MAX)  # noqa: N815
    description: CleanStr = Field(min_length=1, max_length=2000)


class Message(BaseModel):
    message: str = Field(examples=["Sesión eliminada"])
    id: int | None = None


class UserDeleted(UserOut):
    """The user as disabled (`enable: false`), with the seed's confirmation."""

    message: str = Field(description="Always `User deleted`", examples=["User deleted"])


def _iso(value: str | None) -> str | None:
    if value is not None:
        parse_duration(value)
    return value
