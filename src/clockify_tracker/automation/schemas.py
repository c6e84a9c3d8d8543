"""The automations contract on the wire: Spanish field names, `{success, data, message}`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from clockify_tracker.automation import repository, schedule
from clockify_tracker.automation.service import PREFIX_HINT, SchedulerState
from clockify_tracker.kit.validation import CleanStr, DbId
from clockify_tracker.models import Automation, AutomationRun

Organizacion = Annotated[
    CleanStr | None,
    Field(
        default=None, max_length=200,
        description="Nombre, slug u `org_*` de la organización; por omisión la activa",
    ),
]  # fmt: skip
Variables = dict[str, Any]


class AutomationCreate(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "nombre": "prod_sincronizacion_diaria",
                    "descripcion": "Descarga los CFDI del día",
                    "script_path": "sincronizacion.py",
                    "cron_expresion": "0 8 * * 1-5",
                    "activo": True,
                    "variables_personalizadas": {"RFC": "ABC123456789"},
                }
            ]
        },
    )

    organizacion: Organizacion
    nombre: CleanStr = Field(max_length=200, description=PREFIX_HINT)
    descripcion: CleanStr | None = Field(default=None, max_length=2000)
    script_path: CleanStr = Field(max_length=500, description="Relativa a AUTOMATIONS_DIR")
    cron_expresion: CleanStr = Field(
        max_length=120,
        description="5 campos, en America/Mexico_City; o `manual` (solo con /ejecutar, sin "
        "próxima ejecución; se guarda en minúsculas)",
        examples=["0 8 * * 1-5", "manual"],
    )
    activo: bool = Field(
        default=False, description="Se crea desactivada salvo que digas lo contrario"
    )
    variables_personalizadas: Variables = Field(
        default_factory=dict, description="Cada clave llega al script como VAR_LOCAL_<CLAVE>"
    )
    timeout_segundos: int | None = Field(
        default=None, ge=1, le=86_400, description="Límite de cada ejecución; por omisión 600"
    )


class AutomationPatch(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"id_automatizacion": 1, "activo": False}]},
    )

    organizacion: Organizacion
    id_automatizacion: DbId
    nombre: CleanStr | None = Field(default=None, max_length=200)
    descripcion: CleanStr | None = Field(default=None, max_length=2000)
    script_path: CleanStr | None = Field(default=None, max_length=500)
    cron_expresion: CleanStr | None = Field(
        default=None, max_length=120,
        description="5 campos o `manual`; volver a un cron calcula de nuevo la próxima ejecución",
    )  # fmt: skip
    activo: bool | None = None
    variables_personalizadas: Variables | None = Field(
        default=None, description="Reemplaza el objeto completo"
    )
    timeout_segundos: int | None = Field(default=None, ge=1, le=86_400)


class AutomationRef(BaseModel):
    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"id_automatizacion": 1}]}
    )

    organizacion: Organizacion
    id_automatizacion: DbId = Field(
        validation_alias=AliasChoices("id_automatizacion", "automatizacion_id"),
        description="También se acepta `automatizacion_id` (guía anterior)",
    )


class SchedulerAction(BaseModel):
    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"accion": "recargar"}]}
    )

    organizacion: Organizacion
    accion: Literal["iniciar", "detener", "recargar", "recargar_todo"]
    alcance: Literal["organizacion", "todo"] = Field(
        default="organizacion",
        description="`todo` (solo superadministradores): todas las organizaciones",
    )


class AutomationOut(BaseModel):
    id: int = Field(examples=[1])
    nombre: str = Field(examples=["prod_sincronizacion_diaria"])
    nombre_display: str = Field(examples=["sincronizacion_diaria"])
    descripcion: str | None
    script_path: str = Field(examples=["sincronizacion.py"])
    cron_expresion: str = Field(examples=["0 8 * * 1-5", "manual"])
    descripcion_cron: str = Field(
        examples=[
            "A las 08:00, de lunes a viernes",
            "Solo manual: no se ejecuta de forma programada",
        ]
    )
    activo: bool
    variables_personalizadas: dict[str, str] = Field(examples=[{"RFC": "ABC123456789"}])
    timeout_segundos: int = Field(examples=[600])
    proxima_ejecucion: datetime | None = Field(description="Null: inactiva o solo manual")
    ultima_ejecucion: datetime | None
    ultima_estado: str | None = Field(examples=["exitoso"])
    creado_por: int | None
    creado_por_nombre: str | None
    creado_por_correo: str | None
    created_at: datetime
    updated_at: datetime
    total_ejecuciones: int = Field(examples=[21])
    ejecuciones_exitosas: int = Field(examples=[20])
    ejecuciones_error: int = Field(examples=[1])


def automation_out(
    automation: Automation,
    creator: tuple[str | None, str | None] = (None, None),
    counts: tuple[int, int, int] = (0, 0, 0),
) -> AutomationOut:
    return AutomationOut(
        id=automation.id,
        nombre=automation.name,
        nombre_display=automation.name.removeprefix("prod_"),
        descripcion=automation.description,
        script_path=automation.script_path,
        cron_expresion=automation.cron_expression,
        descripcion_cron=schedule.describe(automation.cron_expression),
        activo=automation.active,
        variables_personalizadas=dict(automation.variables),
        timeout_segundos=automation.timeout_seconds,
        proxima_ejecucion=automation.next_run_at,
        ultima_ejecucion=automation.last_run_at,
        ultima_estado=automation.last_status,
        creado_por=automation.created_by_account_id,
        creado_por_nombre=creator[0],
        creado_por_correo=creator[1],
        created_at=automation.created_at,
        updated_at=automation.updated_at,
        total_ejecuciones=counts[0],
        ejecuciones_exitosas=counts[1],
        ejecuciones_error=counts[2],
    )


def listed_out(row: repository.AutomationRow) -> AutomationOut:
    return automation_out(
        row.automation,
        (row.creator_name, row.creator_email),
        (row.total, row.succeeded, row.failed),
    )


class AutomationList(BaseModel):
    automatizaciones: list[AutomationOut]


class Deleted(BaseModel):
    nombre: str = Field(examples=["prod_sincronizacion_diaria"])
    script_path: str = Field(examples=["sincronizacion.py"])


class RunStarted(BaseModel):
    execution_id: str = Field(examples=["8f14e45f-ceea-467f-a0e6-7f1b0d1f3a52"])
    log_id: int = Field(examples=[15])
    automatizacion_id: int = Field(examples=[2])
    estado: str = Field(examples=["pendiente"], description="pendiente hasta que un worker la toma")
    fecha_solicitud: datetime


class LogOut(BaseModel):
    id: int = Field(examples=[15])
    automatizacion_id: int = Field(examples=[2])
    execution_id: str
    estado: str = Field(
        examples=["exitoso"],
        description="pendiente, en_ejecucion, exitoso, advertencia, error, omitida, perdida",
    )
    mensaje: str | None = Field(examples=["Ejecución completada exitosamente"])
    output: str | None
    error_mensaje: str | None
    codigo_salida: int | None
    fecha_programada: datetime | None = Field(description="El tick del cron (programadas)")
    fecha_inicio: datetime | None
    fecha_fin: datetime | None
    duracion_segundos: float | None = Field(examples=[150.0])
    es_programado: bool
    ejecutado_por: str | None = Field(examples=["Admin"])
    ejecutado_por_correo: str = Field(examples=["admin@empresa.com"])


def log_out(run: AutomationRun) -> LogOut:
    return LogOut(
        id=run.id,
        automatizacion_id=run.automation_id,
        execution_id=run.execution_id,
        estado=run.status,
        mensaje=run.message,
        output=run.output,
        error_mensaje=run.error_message,
        codigo_salida=run.exit_code,
        fecha_programada=run.scheduled_for,
        fecha_inicio=run.started_at,
        fecha_fin=run.finished_at,
        duracion_segundos=run.duration_seconds,
        es_programado=run.scheduled,
        ejecutado_por=run.requested_by_name,
        ejecutado_por_correo=run.requested_by_email,
    )


class Statistics(BaseModel):
    total: int = Field(examples=[10], description="Ejecuciones (sin omitidas ni perdidas)")
    exitosos: int = Field(examples=[9])
    errores: int = Field(examples=[1])
    advertencias: int = Field(examples=[0])
    duracion_promedio: float = Field(examples=[145.5], description="Segundos, de las terminadas")


class Logs(BaseModel):
    logs: list[LogOut]
    estadisticas: Statistics


class Upcoming(BaseModel):
    id: int
    nombre: str
    proxima_ejecucion: datetime


class SchedulerInfo(BaseModel):
    running: bool = Field(description="Corre para tu organización (ni ella ni todo en pausa)")
    pausadoGlobal: bool  # noqa: N815 - camelCase in this part of the contract
    pausadoOrganizacion: bool  # noqa: N815
    lastCheck: datetime | None = Field(description="Última pasada del despachador")  # noqa: N815
    totalOrganizations: int  # noqa: N815
    totalTasks: int  # noqa: N815


class OrganizationTasks(BaseModel):
    nombre: str
    tareasActivas: int  # noqa: N815
    automatizacionesIds: list[int]  # noqa: N815
    proximasEjecuciones: list[Upcoming]  # noqa: N815


class OrganizationCount(BaseModel):
    name: str
    taskCount: int  # noqa: N815


class SchedulerOut(BaseModel):
    scheduler: SchedulerInfo
    organizacion: OrganizationTasks
    allOrganizations: list[OrganizationCount] | None = Field(  # noqa: N815
        description="Solo para superadministradores (nombres de otras organizaciones)"
    )


def scheduler_out(state: SchedulerState) -> SchedulerOut:
    return SchedulerOut(
        scheduler=SchedulerInfo(
            running=state.running,
            pausadoGlobal=state.everything_paused,
            pausadoOrganizacion=state.organization_paused,
            lastCheck=state.last_check,
            totalOrganizations=state.total_organizations,
            totalTasks=state.total_tasks,
        ),
        organizacion=OrganizationTasks(
            nombre=state.organization.name,
            tareasActivas=len(state.organization_ids),
            automatizacionesIds=state.organization_ids,
            proximasEjecuciones=[
                Upcoming(id=a.id, nombre=a.name, proxima_ejecucion=a.next_run_at)
                for a in state.upcoming
                if a.next_run_at is not None
            ],
        ),
        allOrganizations=(
            [OrganizationCount(name=n, taskCount=c) for n, c in state.all_organizations]
            if state.all_organizations is not None
            else None
        ),
    )


class ScriptOut(BaseModel):
    script_path: str = Field(examples=["sincronizacion_sat.py"])
    nombre_sugerido: str = Field(examples=["prod_sincronizacion_sat"])
    nombre_display: str = Field(examples=["sincronizacion sat"])
    descripcion_sugerida: str = Field(examples=["Automatización: sincronizacion sat"])
    es_especifico_org: bool = Field(description="Solo lo ve tu organización")
    configurado: bool = Field(description="Alguna automatización tuya ya lo usa")
    automatizacion_id: int | None = Field(default=None, description="Cuál, si está configurado")
    tiene_metadata: bool
    metadata: dict[str, Any] | None = Field(
        description="nombre, descripcion, autor, version, variables_requeridas, fases"
    )
    error_metadata: str | None = Field(
        default=None, description="Por qué el bloque @SAT_METADATA no se pudo leer"
    )


class Catalogue(BaseModel):
    scripts_disponibles: list[ScriptOut]
    total: int
    configurados: int
    sin_configurar: int


def catalogue_out(scripts: list[Any], used: dict[str, int]) -> Catalogue:
    listed = [
        ScriptOut(
            script_path=script.script_path,
            nombre_sugerido=script.suggested_name,
            nombre_display=script.display_name,
            descripcion_sugerida=script.suggested_description,
            es_especifico_org=script.exclusive,
            configurado=script.script_path in used,
            automatizacion_id=used.get(script.script_path),
            tiene_metadata=script.metadata is not None,
            metadata=script.metadata,
            error_metadata=script.metadata_error,
        )
        for script in scripts
    ]
    configured = sum(1 for item in listed if item.configurado)
    return Catalogue(
        scripts_disponibles=listed, total=len(listed), configurados=configured,
        sin_configurar=len(listed) - configured,
    )  # fmt: skip


class ScriptMetadata(BaseModel):
    script_path: str
    tiene_metadata: bool
    metadata: dict[str, Any] | None


class ExecutionRef(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"execution_id": "8f14e45f-ceea-467f-a0e6-7f1b0d1f3a52"}]},
    )

    organizacion: Organizacion
    execution_id: CleanStr = Field(min_length=1, max_length=36)


class Cancelled(BaseModel):
    execution_id: str
    estado: str = Field(
        examples=["cancelando"],
        description="error (estaba en cola: cerrada ya) o cancelando (el worker la termina)",
    )


class Phase(BaseModel):
    id: str
    nombre: str
    descripcion: str = ""
    started_at: str | None = None


class Progress(BaseModel):
    percentage: int = Field(ge=0, le=100)
    items_processed: int
    items_total: int


class StatusMessage(BaseModel):
    timestamp: str
    level: str = Field(examples=["info"], description="info, warning o error")
    message: str


class ExecutionStatus(BaseModel):
    execution_id: str
    organizacion: str
    started_at: str | None
    updated_at: str | None
    status: str = Field(examples=["running"], description="running, completed, error, cancelled")
    current_phase: Phase | None
    progress: Progress
    phases_completed: list[str]
    messages: list[StatusMessage]
    error: str | None
