"""What each email says: subjects, texts and the values its templates show, already formatted
(local times with the zone named, durations as hours and minutes). The templates only place
them; HTML templates escape everything they are given, so user text cannot inject markup."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from clockify_tracker.kit.text import single_line

Audience = Literal["coordinators", "user"]

_environment = Environment(
    loader=PackageLoader("clockify_tracker.email", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Content:
    subject: str
    text: str
    html: str


def _render(template: str, subject: str, values: Mapping[str, Any]) -> Content:
    """`template`.txt and `template`.html with the same values. The subject is made one line
    here too: names are cleaned when they arrive, but a row stored before that, or a name
    from elsewhere (an automation's), must not break the header either."""
    return Content(
        subject=single_line(subject),
        text=_environment.get_template(f"{template}.txt").render(values),
        html=_environment.get_template(f"{template}.html").render(values),
    )


@dataclass(frozen=True)
class SessionKind:
    label: str  # in the subject and the banner
    tone: Literal["info", "warning", "alert"]
    to_coordinators: str  # {name}, {actor}, {hours} are filled in
    to_user: str


SESSION_KINDS: dict[str, SessionKind] = {
    "started": SessionKind(
        "Sesión iniciada", "info",
        "{name} inició una sesión en Clockify.",
        "Iniciaste una sesión en Clockify y quedó registrada.",
    ),
    "stopped": SessionKind(
        "Sesión finalizada", "info",
        "{name} terminó una sesión en Clockify.",
        "Terminaste una sesión en Clockify y quedó registrada.",
    ),
    "edited": SessionKind(
        "Sesión editada", "info",
        "{name} editó una sesión en Clockify. El cambio no requiere revisión.",
        "Editaste una sesión en Clockify. El cambio no requiere revisión.",
    ),
    "review": SessionKind(
        "ALERTA: sesión editada, en revisión", "alert",
        "{name} cambió los horarios de una sesión en Clockify. Queda EN OBSERVACION hasta que "
        "coordinación la apruebe o la rechace; mientras tanto valen los últimos horarios "
        "aceptados.",
        "Cambiaste los horarios de una sesión en Clockify. Editar los horarios requiere "
        "revisión: la sesión queda EN OBSERVACION hasta que coordinación la apruebe o la "
        "rechace.",
    ),
    "manual": SessionKind(
        "ALERTA: sesión creada manualmente", "alert",
        "{name} creó una sesión a mano en Clockify.",
        "Creaste una sesión a mano en Clockify. Si fue un error, avisa a tu coordinador.",
    ),
    "deleted": SessionKind(
        "Sesión eliminada", "warning",
        "{name} eliminó una sesión en Clockify. Queda inactiva y fuera de los reportes; su "
        "historia se conserva en la bitácora.",
        "Eliminaste una sesión en Clockify. Queda inactiva y fuera de los reportes.",
    ),
    "restored": SessionKind(
        "Sesión restaurada", "info",
        "{name} restauró en Clockify una sesión eliminada. Vuelve a contar en los reportes.",
        "Restauraste en Clockify una sesión eliminada. Vuelve a contar en los reportes.",
    ),
    "overtime": SessionKind(
        "Sesión en OVERTIME", "warning",
        "La sesión de {name} pasa de {hours} horas y quedó marcada como OVERTIME.",
        "Tu sesión pasa de {hours} horas y quedó marcada como OVERTIME.",
    ),
    "approved": SessionKind(
        "Sesión aprobada", "info",
        "{actor} aprobó la sesión de {name}. Sus horarios actuales pasan a ser los válidos.",
        "Coordinación aprobó tu sesión. Sus horarios actuales pasan a ser los válidos.",
    ),
    "rejected": SessionKind(
        "Sesión rechazada", "warning",
        "{actor} rechazó la sesión de {name}. Siguen valiendo los últimos horarios aceptados.",
        "Coordinación rechazó tu sesión. Siguen valiendo los últimos horarios aceptados.",
    ),
}  # fmt: skip

REPORT_LABELS = {"weekly": "semanal", "monthly": "mensual", "custom": "personalizado"}


# --- formatting --------------------------------------------------------------------------


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _aware(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def local_time(value: datetime | str | None, zone: ZoneInfo) -> str:
    """ "02/11/2026 09:00 (America/Mexico_City)"; "" for no time."""
    moment = _aware(value)
    if moment is None:
        return ""
    return f"{moment.astimezone(zone):%d/%m/%Y %H:%M} ({zone.key})"


def local_day(value: date) -> str:
    return f"{value:%d/%m/%Y}"


def hours_minutes(seconds: int | float | None) -> str:
    """7,500 s -> "2 h 05 min"."""
    if seconds is None:
        return ""
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _actor_label(actor: str | None) -> str:
    if not actor:
        return "Coordinación"
    if actor.startswith("token:"):
        return "Coordinación (API con token de servicio)"
    return actor


# --- session notifications ---------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str
    value: str


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def _session_rows(session: Mapping[str, Any], user: Mapping[str, Any], zone: ZoneInfo) -> list[Row]:
    person = user["name"] + (f" <{user['email']}>" if user.get("email") else "")
    end = local_time(session["end_at"], zone) or "En curso"
    rows = [
        Row("Usuario", person),
        Row("Entrada de Clockify", session["external_id"]),
        Row("Descripción", session["description"] or "Sin descripción"),
        Row("Proyecto", session["project_name"] or "Sin proyecto"),
        Row("Tarea", session["task_name"] or "Sin tarea"),
        Row("Inicio", local_time(session["start_at"], zone)),
        Row("Fin", end),
        Row("Duración", hours_minutes(session["duration_seconds"]) or "En curso"),
    ]
    valid = (session["valid_start_at"], session["valid_end_at"])
    if session["valid_start_at"] and valid != (session["start_at"], session["end_at"]):
        valid_end = local_time(session["valid_end_at"], zone) or "En curso"
        rows.append(Row("Horario válido", f"{local_time(valid[0], zone)} a {valid_end}"))
        rows.append(Row("Duración válida", hours_minutes(session["valid_duration_seconds"])))
    rows += [
        Row("Estado", session["status"] or "Sin estado (pendiente de revisión)"),
        Row("Ediciones", str(session["updating_quantity"])),
        Row("Overtime", "Sí" if session["overtime"] else "No"),
    ]
    if session.get("observation"):
        rows.append(Row("Observación", session["observation"]))
    return rows


def _changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any], zone: ZoneInfo
) -> list[Change]:
    if before is None:
        return []

    def at(value: Any) -> str:
        return local_time(value, zone)

    def until(value: Any) -> str:
        return local_time(value, zone) or "En curso"

    def lasting(value: Any) -> str:
        return hours_minutes(value) or "En curso"

    def text(empty: str) -> Callable[[Any], str]:
        return lambda value: value or empty

    shown: list[tuple[str, str, Callable[[Any], str]]] = [
        ("Inicio", "start_at", at),
        ("Fin", "end_at", until),
        ("Duración", "duration_seconds", lasting),
        ("Descripción", "description", text("Sin descripción")),
        ("Proyecto", "project_name", text("Sin proyecto")),
        ("Tarea", "task_name", text("Sin tarea")),
    ]
    return [
        Change(label, show(before[key]), show(after[key]))
        for label, key, show in shown
        if before[key] != after[key]
    ]


def session_notification(kind: str, context: Mapping[str, Any], audience: Audience) -> Content:
    """The email for one notification row's context (see clockify.notify)."""
    spec = SESSION_KINDS[kind]
    session, user = context["session"], context["user"]
    zone = zone_of(session["time_zone"])
    fill = {
        "name": user["name"],
        "actor": _actor_label(context.get("actor")),
        "hours": f"{context.get('overtime_hours', 0):g}",
    }
    intro = (spec.to_coordinators if audience == "coordinators" else spec.to_user).format(**fill)
    start = _aware(session["start_at"])
    when = f"{start.astimezone(zone):%Y-%m-%d %H:%M}" if start else ""
    values = {
        "kind": kind,
        "tone": spec.tone,
        "title": spec.label,
        "intro": intro,
        "in_review": session["status"] == "EN OBSERVACION",
        "rows": _session_rows(session, user, zone),
        "changes": _changes(context.get("before"), session, zone),
    }
    return _render("session", f"Clockify - {spec.label} - {user['name']} - ({when})", values)


# --- report delivery, automation failure, SMTP test ---------------------------------------


def report_delivery(
    *,
    report_type: str,
    person: str,
    first_day: date,
    last_day: date,
    sessions: int,
    worked_seconds: int,
    filename: str,
) -> Content:
    label = REPORT_LABELS[report_type]
    values = {
        "tone": "info",
        "title": f"Reporte {label} de Clockify",
        "person": person,
        "label": label,
        "first_day": local_day(first_day),
        "last_day": local_day(last_day),
        "sessions": sessions,
        "worked": hours_minutes(worked_seconds),
        "filename": filename,
    }
    return _render("report", f"Reporte {label} de Clockify - {person}", values)


def automation_failure(
    *,
    automation: str,
    organization: str,
    execution_id: str,
    started_at: datetime,
    zone: ZoneInfo,
    exit_code: int | None,
    error: str,
) -> Content:
    values = {
        "tone": "alert",
        "title": "Automatización con error",
        "automation": automation,
        "organization": organization,
        "execution_id": execution_id,
        "started": local_time(started_at, zone),
        "exit_code": "sin código (no terminó)" if exit_code is None else str(exit_code),
        "error": error[-4000:],
    }
    when = f"{started_at.astimezone(zone):%Y-%m-%d %H:%M}"
    subject = f"Automatización con error - {automation} - ({when})"
    return _render("automation_failed", subject, values)


def user_email_changed(
    *,
    audience: Literal["previous", "administrators"],
    user_name: str,
    external_id: str,
    old_email: str | None,
    new_email: str | None,
    actor: str,
    changed_at: datetime,
    zone: ZoneInfo,
    held_until: datetime | None,
) -> Content:
    """A user's email was set, replaced or cleared: told to the address it had (so a rewrite
    cannot go unnoticed by its owner) and to the organization's administrators."""
    who = _actor_label(actor)
    if audience == "previous":
        intro = (
            f"{who} cambió el correo al que clockify-tracker envía tus avisos y reportes de "
            "Clockify. Desde ahora no llegarán a esta dirección."
        )
    else:
        intro = f"{who} cambió el correo del usuario de Clockify {user_name}."
    rows = [
        Row("Usuario", f"{user_name} ({external_id})"),
        Row("Correo anterior", old_email or "Ninguno"),
        Row("Correo nuevo", new_email or "Ninguno (sin correo)"),
        Row("Cambiado por", who),
        Row("Fecha", local_time(changed_at, zone)),
    ]
    if held_until is not None:
        rows.append(Row("Reportes retenidos hasta", local_time(held_until, zone)))
    if audience == "previous":
        outro = "Si no esperabas este cambio, avisa a los administradores de tu organización."
    elif held_until is not None:
        outro = (
            "Hasta esa fecha no se envían reportes a la dirección nueva, salvo que un "
            "administrador la confirme: POST /api-clockify/users/confirmEmail/"
            f'{external_id} con {{"email": "{new_email}"}}. Si el cambio no es legítimo, '
            "corrige el correo del usuario."
        )
    else:
        outro = "El cambio quedó registrado y confirmado por quien lo hizo."
    values = {"tone": "warning", "title": "Correo de usuario cambiado", "intro": intro,
              "rows": rows, "outro": outro}  # fmt: skip
    return _render("user_email_changed", f"Clockify - Correo de usuario cambiado - {user_name}",
                   values)  # fmt: skip


def smtp_test(
    *,
    requested_by: str | None,
    requested_at: datetime,
    zone: ZoneInfo,
    server: str,
    sender: str,
    recipients: list[str],
) -> Content:
    """The message that checks the SMTP settings end to end (GET /webhook/test-email)."""
    values = {
        "tone": "info",
        "title": "Correo de prueba de Clockify",
        "requested_by": _actor_label(requested_by),
        "requested_at": local_time(requested_at, zone),
        "server": server,
        "sender": sender,
        "recipients": ", ".join(recipients),
    }
    when = f"{requested_at.astimezone(zone):%Y-%m-%d %H:%M}"
    return _render("test", f"Clockify - Correo de prueba - ({when})", values)
