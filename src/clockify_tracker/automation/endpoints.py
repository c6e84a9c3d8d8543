"""/api/automatizaciones: administrators manage their organization's automations, run them,
read their logs and control the scheduler. JWT cookie (or Bearer) auth, `{success, data,
message}` envelope, the contract's Spanish names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from clockify_tracker.auth.dependencies import CurrentAccount
from clockify_tracker.automation import service
from clockify_tracker.automation.schemas import (
    AutomationCreate,
    AutomationList,
    AutomationOut,
    AutomationPatch,
    AutomationRef,
    Cancelled,
    Catalogue,
    Deleted,
    ExecutionRef,
    ExecutionStatus,
    Logs,
    RunStarted,
    SchedulerAction,
    SchedulerOut,
    ScriptMetadata,
    Statistics,
    automation_out,
    catalogue_out,
    listed_out,
    log_out,
    scheduler_out,
)
from clockify_tracker.kit.envelope import Envelope
from clockify_tracker.kit.validation import DbId, NoNul
from clockify_tracker.kit.web import DbSession, Services

router = APIRouter(prefix="/api/automatizaciones", tags=["automatizaciones"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Datos inválidos (el mensaje nombra el campo)"},
    401: {"description": "Sin sesión o sesión vencida"},
    403: {"description": "No eres administrador de esa organización"},
    404: {"description": "La organización o la automatización no existe"},
}
ExecutionIdQuery = Annotated[
    str, Query(min_length=1, max_length=36, description="El `execution_id` de /ejecutar"), NoNul
]
_CONFLICT: dict[int | str, dict[str, Any]] = {409: {"description": "Hay una ejecución en curso"}}
OrganizacionQuery = Annotated[
    str | None,
    Query(max_length=200, description="Nombre, slug u `org_*`; por omisión la activa"),
    NoNul,
]


def _now() -> datetime:
    return datetime.now(UTC)


def _changes(body: AutomationCreate | AutomationPatch) -> service.AutomationChanges:
    return service.AutomationChanges(
        name=body.nombre,
        description=body.descripcion,
        script_path=body.script_path,
        cron_expression=body.cron_expresion,
        active=body.activo,
        variables=body.variables_personalizadas,
        timeout_seconds=body.timeout_segundos,
        description_given="descripcion" in body.model_fields_set,
    )


@router.get(
    "", summary="Automatizaciones de la organización", response_model=Envelope[AutomationList],
    responses=_ERRORS,
)  # fmt: skip
async def list_automations(
    principal: CurrentAccount, session: DbSession, organizacion: OrganizacionQuery = None
) -> Envelope[AutomationList]:
    """Con sus estadísticas, próxima ejecución y el cron explicado en español."""
    access = await service.require_admin(session, principal, organizacion)
    rows = await service.list_automations(session, access.organization.id)
    return Envelope(data=AutomationList(automatizaciones=[listed_out(row) for row in rows]))


@router.post(
    "", summary="Crear una automatización", response_model=Envelope[AutomationOut],
    responses={**_ERRORS, 409: {"description": "Ya existe una con ese nombre"}},
)  # fmt: skip
async def create_automation(
    body: AutomationCreate, principal: CurrentAccount, session: DbSession, services: Services
) -> Envelope[AutomationOut]:
    """`nombre` con prefijo `prod_`, un script visible para la organización y un cron válido."""
    access = await service.require_admin(session, principal, body.organizacion)
    automation = await service.create(
        session, services.settings, access, principal, _changes(body), _now()
    )
    creator = await service.creator_of(session, automation)
    return Envelope(
        data=automation_out(automation, creator), message="Automatización creada exitosamente"
    )


@router.patch(
    "", summary="Editar o activar/desactivar", response_model=Envelope[AutomationOut],
    responses={**_ERRORS, 409: {"description": "Ya existe una con ese nombre"}},
)  # fmt: skip
async def update_automation(
    body: AutomationPatch, principal: CurrentAccount, session: DbSession, services: Services
) -> Envelope[AutomationOut]:
    """Solo los campos enviados; el cambio de horario vale desde el siguiente tick."""
    access = await service.require_admin(session, principal, body.organizacion)
    automation = await service.update(
        session, services.settings, access, body.id_automatizacion, _changes(body), _now()
    )
    creator = await service.creator_of(session, automation)
    return Envelope(
        data=automation_out(automation, creator), message="Automatización actualizada exitosamente"
    )


@router.delete(
    "", summary="Eliminar (con sus logs)", response_model=Envelope[Deleted],
    responses={**_ERRORS, **_CONFLICT},
)  # fmt: skip
async def delete_automation(
    body: AutomationRef, principal: CurrentAccount, session: DbSession
) -> Envelope[Deleted]:
    """El id va en el cuerpo JSON, como en el contrato."""
    access = await service.require_admin(session, principal, body.organizacion)
    automation = await service.delete(session, access.organization.id, body.id_automatizacion)
    return Envelope(
        data=Deleted(nombre=automation.name, script_path=automation.script_path),
        message="Automatización eliminada exitosamente",
    )


@router.post(
    "/ejecutar", summary="Ejecutar ahora", response_model=Envelope[RunStarted],
    responses={**_ERRORS, **_CONFLICT},
)  # fmt: skip
async def run_now(
    body: AutomationRef, principal: CurrentAccount, session: DbSession
) -> Envelope[RunStarted]:
    """Responde al momento con el `execution_id`; un worker corre el script."""
    access = await service.require_admin(session, principal, body.organizacion)
    run = await service.start_manual(session, access, principal, body.id_automatizacion)
    return Envelope(
        data=RunStarted(
            execution_id=run.execution_id, log_id=run.id, automatizacion_id=run.automation_id,
            estado=run.status, fecha_solicitud=run.created_at,
        ),
        message="Ejecución iniciada",
    )  # fmt: skip


@router.get(
    "/logs", summary="Historial de ejecuciones y estadísticas", response_model=Envelope[Logs],
    responses=_ERRORS,
)  # fmt: skip
async def automation_logs(
    principal: CurrentAccount,
    session: DbSession,
    id_automatizacion: Annotated[DbId, Query()],
    limite: Annotated[int, Query(ge=1, le=500)] = 50,
    organizacion: OrganizacionQuery = None,
) -> Envelope[Logs]:
    """Los más recientes primero; las estadísticas cubren todas las ejecuciones."""
    access = await service.require_admin(session, principal, organizacion)
    runs, stats = await service.logs(session, access.organization.id, id_automatizacion, limite)
    return Envelope(
        data=Logs(logs=[log_out(run) for run in runs], estadisticas=Statistics(**stats))
    )


@router.get(
    "/scheduler", summary="Estado del programador", response_model=Envelope[SchedulerOut],
    responses=_ERRORS,
)  # fmt: skip
async def scheduler_state(
    principal: CurrentAccount, session: DbSession, organizacion: OrganizacionQuery = None
) -> Envelope[SchedulerOut]:
    """Si corre, su última pasada y las próximas ejecuciones de tu organización."""
    access = await service.require_admin(session, principal, organizacion)
    state = await service.scheduler_state(session, access, principal)
    return Envelope(data=scheduler_out(state))


@router.post(
    "/scheduler", summary="Iniciar, detener o recargar el programador",
    response_model=Envelope[SchedulerOut], responses=_ERRORS,
)  # fmt: skip
async def scheduler_control(
    body: SchedulerAction, principal: CurrentAccount, session: DbSession, services: Services
) -> Envelope[SchedulerOut]:
    """iniciar/detener: tu organización (`alcance: todo` solo superadministradores);
    recargar: recalcula y despacha ya; recargar_todo: todas (superadministradores)."""
    access = await service.require_admin(session, principal, body.organizacion)
    message = await service.control(
        session, services.settings, access, principal, body.accion, body.alcance == "todo", _now()
    )
    state = await service.scheduler_state(session, access, principal)
    return Envelope(data=scheduler_out(state), message=message)


@router.delete(
    "/ejecutar", summary="Cancelar una ejecución", response_model=Envelope[Cancelled],
    responses={**_ERRORS, 409: {"description": "La ejecución ya terminó"}},
)  # fmt: skip
async def cancel_run(
    body: ExecutionRef, principal: CurrentAccount, session: DbSession, services: Services
) -> Envelope[Cancelled]:
    """Termina el grupo de procesos del script (SIGTERM y SIGKILL tras la gracia); el log
    queda en error "Ejecución cancelada por <correo>" y el estado en `cancelled`."""
    access = await service.require_admin(session, principal, body.organizacion)
    state = await service.cancel(session, services.redis, access, principal, body.execution_id)
    return Envelope(
        data=Cancelled(execution_id=body.execution_id, estado=state),
        message="Ejecución cancelada" if state == "error" else "Cancelación solicitada",
    )


@router.get(
    "/disponibles", summary="Scripts que tu organización puede usar",
    response_model=Envelope[Catalogue], responses=_ERRORS,
)  # fmt: skip
async def available_scripts(
    principal: CurrentAccount,
    session: DbSession,
    services: Services,
    organizacion: OrganizacionQuery = None,
) -> Envelope[Catalogue]:
    """Los generales y los propios (carpeta `org_<slug>/` o prefijo `<slug>_`), con su metadata
    y si alguna automatización ya los usa."""
    access = await service.require_admin(session, principal, organizacion)
    found, used = await service.available_scripts(session, services.settings, access.organization)
    return Envelope(data=catalogue_out(found, used))


@router.get(
    "/metadata", summary="El bloque @SAT_METADATA de un script",
    response_model=Envelope[ScriptMetadata], responses=_ERRORS,
)  # fmt: skip
async def script_metadata(
    principal: CurrentAccount,
    session: DbSession,
    services: Services,
    script_path: Annotated[str, Query(min_length=1, max_length=500), NoNul],
    organizacion: OrganizacionQuery = None,
) -> Envelope[ScriptMetadata]:
    """Leído como texto, nunca importado ni ejecutado; un bloque mal formado es 400 con la
    línea del error."""
    access = await service.require_admin(session, principal, organizacion)
    parsed = await service.script_details(
        session, services.settings, access.organization, script_path
    )
    return Envelope(
        data=ScriptMetadata(
            script_path=script_path, tiene_metadata=parsed is not None, metadata=parsed
        )
    )


@router.get(
    "/status", summary="Progreso en vivo de una ejecución",
    response_model=Envelope[ExecutionStatus], responses=_ERRORS,
)  # fmt: skip
async def execution_status(
    principal: CurrentAccount,
    session: DbSession,
    services: Services,
    execution_id: ExecutionIdQuery,
    organizacion: OrganizacionQuery = None,
) -> Envelope[ExecutionStatus]:
    """Fase actual, porcentaje, fases completadas y mensajes, mientras corre y al terminar."""
    access = await service.require_admin(session, principal, organizacion)
    state = await service.live_status(session, services.redis, access, execution_id)
    return Envelope(data=ExecutionStatus.model_validate(state))


@router.delete(
    "/status", summary="Borrar el estado en vivo de una ejecución terminada",
    response_model=Envelope[None],
    responses={**_ERRORS, 409: {"description": "Sigue en curso"}},
)  # fmt: skip
async def clear_execution_status(
    principal: CurrentAccount,
    session: DbSession,
    services: Services,
    execution_id: ExecutionIdQuery,
    organizacion: OrganizacionQuery = None,
) -> Envelope[None]:
    """El estado final sigue en el log de la ejecución."""
    access = await service.require_admin(session, principal, organizacion)
    await service.clear_status(session, services.redis, access, execution_id)
    return Envelope(data=None, message="Estado eliminado")
