"""The automations contract: every route, its envelope and its error messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from clockify_tracker.kit.db import Database
from tests.automation.conftest import BASE, Tenants, automation, create
from tests.support.factories import create_account, login

MX = ZoneInfo("America/Mexico_City")
ADMINS_ONLY = "Solo los administradores pueden gestionar automatizaciones"


async def test_create_answers_the_contracts_envelope_with_the_derived_fields(
    alfa_admin: httpx.AsyncClient,
) -> None:
    response = await alfa_admin.post(BASE, json=automation())

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Automatización creada exitosamente"
    data = body["data"]
    assert data["nombre"] == "prod_sincronizacion_diaria"
    assert data["nombre_display"] == "sincronizacion_diaria"
    assert data["descripcion_cron"] == "A las 09:00, de lunes a viernes"
    assert data["variables_personalizadas"] == {"rfc": "ABC123456789", "dias": "3",
                                                "incluir": "true"}  # fmt: skip
    assert data["creado_por_correo"] == "admin@alfa.example"
    assert data["total_ejecuciones"] == 0
    assert data["timeout_segundos"] == 600
    following = datetime.fromisoformat(data["proxima_ejecucion"]).astimezone(MX)
    assert (following.hour, following.minute) == (9, 0)
    assert following.weekday() < 5


async def test_a_new_automation_is_inactive_unless_asked_and_then_has_no_next_run(
    alfa_admin: httpx.AsyncClient,
) -> None:
    body = automation()
    del body["activo"]
    data = (await alfa_admin.post(BASE, json=body)).json()["data"]
    assert data["activo"] is False
    assert data["proxima_ejecucion"] is None


async def test_a_schedule_that_never_fires_is_valid_for_manual_only_automations(
    alfa_admin: httpx.AsyncClient,
) -> None:
    data = await create(alfa_admin, cron_expresion="0 0 31 2 *")
    assert data["activo"] is True
    assert data["proxima_ejecucion"] is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"nombre": "sincronizacion"}, 'El nombre debe empezar con "prod_"'),
        ({"nombre": "prod_"}, 'El nombre debe empezar con "prod_"'),
        ({"cron_expresion": "0 9 * *"}, "Formato de expresión cron inválido"),
        ({"cron_expresion": "61 * * * *"}, "Formato de expresión cron inválido"),
        ({"cron_expresion": "@daily"}, "Formato de expresión cron inválido"),
        ({"cron_expresion": "0 0 9 * * 1-5"}, "Formato de expresión cron inválido"),
        ({"script_path": "../pyproject.toml"}, "script_path debe ser una ruta relativa"),
        ({"script_path": "/etc/passwd"}, "script_path debe ser una ruta relativa"),
        ({"script_path": "no_existe.py"}, "El script no existe o no está disponible"),
        ({"script_path": "_privado.py"}, "no es un script ejecutable"),
        ({"script_path": "sat_progress.py"}, "no es un script ejecutable"),
        ({"script_path": "ok.txt"}, "debe ser un archivo .py"),
        (
            {"script_path": "org_beta_servicios/conciliacion.py"},
            "El script no existe o no está disponible",
        ),
        ({"variables_personalizadas": {"1x": "a"}}, "Nombre de variable inválido"),
        ({"variables_personalizadas": {"log_id": "7"}}, "está reservada"),
        ({"variables_personalizadas": {"PATH": "/tmp/evil"}}, "nombre de una variable del"),
        ({"variables_personalizadas": {"ld_preload": "/tmp/x.so"}}, "nombre de una variable"),
        ({"variables_personalizadas": {"PYTHONPATH": "/tmp"}}, "nombre de una variable del"),
        ({"variables_personalizadas": {"a": {"b": 1}}}, "debe ser texto, número o booleano"),
        ({"variables_personalizadas": {"rfc": "a", "RFC": "b"}}, "solo difieren en mayúsculas"),
        ({"variables_personalizadas": {"OKKEY\n": "a"}}, "Nombre de variable inválido"),
        (
            {"variables_personalizadas": {"rfc": "ABC\u0000123"}},
            "no puede contener el carácter NUL",
        ),
        ({"variables_personalizadas": {"rfc": "x" * 8193}}, "es demasiado largo"),
    ],
)
async def test_invalid_input_is_400_with_a_message_and_changes_nothing(
    alfa_admin: httpx.AsyncClient, changes: dict[str, Any], message: str
) -> None:
    response = await alfa_admin.post(BASE, json=automation(**changes))

    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert body["message"].startswith(message) or message in body["message"], body
    assert body["error"] == body["message"]
    listed = (await alfa_admin.get(BASE)).json()["data"]["automatizaciones"]
    assert listed == []


@pytest.mark.parametrize("variables", [{"rfc": "ABC\u0000123"}, {"OKKEY\n": "a"}])
async def test_an_edit_with_a_hostile_variable_is_400_naming_the_field_and_changes_nothing(
    alfa_admin: httpx.AsyncClient, variables: dict[str, str]
) -> None:
    created = await create(alfa_admin)

    response = await alfa_admin.patch(
        BASE, json={"id_automatizacion": created["id"], "variables_personalizadas": variables}
    )

    assert response.status_code == 400, response.text
    assert response.json()["details"] == [
        {"field": "variables_personalizadas", "message": response.json()["message"]}
    ]
    listed = (await alfa_admin.get(BASE)).json()["data"]["automatizaciones"]
    assert listed[0]["variables_personalizadas"] == created["variables_personalizadas"]
    # The connection stays usable: the next request on it is answered as usual.
    assert (await alfa_admin.get(BASE)).status_code == 200


async def test_missing_or_mistyped_fields_are_400_naming_the_field(
    alfa_admin: httpx.AsyncClient,
) -> None:
    body = automation()
    del body["script_path"]
    missing = await alfa_admin.post(BASE, json=body)
    mistyped = await alfa_admin.post(BASE, json=automation(activo="quizá"))

    assert missing.status_code == 400
    assert "script_path" in missing.json()["message"]
    assert mistyped.status_code == 400
    assert "activo" in mistyped.json()["message"]


async def test_scripts_exclusive_to_the_organization_or_general_are_accepted(
    alfa_admin: httpx.AsyncClient,
) -> None:
    own = await create(alfa_admin, nombre="prod_cierre", script_path="alfa_industrias_cierre.py")
    shared = await create(alfa_admin, nombre="prod_diario",
                          script_path="compartidos/reporte_diario.py")  # fmt: skip
    assert own["script_path"] == "alfa_industrias_cierre.py"
    assert shared["script_path"] == "compartidos/reporte_diario.py"


async def test_a_name_is_unique_in_its_organization(alfa_admin: httpx.AsyncClient) -> None:
    await create(alfa_admin)
    again = await alfa_admin.post(BASE, json=automation())
    assert again.status_code == 409
    assert "Ya existe" in again.json()["message"]


async def test_the_list_shows_only_prod_automations_of_the_organization_with_stats(
    alfa_admin: httpx.AsyncClient,
) -> None:
    first = await create(alfa_admin)
    second = await create(alfa_admin, nombre="prod_otra", activo=False)

    listed = (await alfa_admin.get(BASE)).json()
    beta = await alfa_admin.get(BASE, params={"organizacion": "Beta Servicios"})

    assert listed["success"] is True
    assert [a["id"] for a in listed["data"]["automatizaciones"]] == [first["id"], second["id"]]
    assert listed["data"]["automatizaciones"][0]["ejecuciones_error"] == 0
    assert beta.status_code == 403, "a contador in Beta may not manage its automations"
    assert beta.json()["message"] == ADMINS_ONLY


async def test_patch_changes_only_what_it_names_and_keeps_the_prefix_rule(
    alfa_admin: httpx.AsyncClient,
) -> None:
    created = await create(alfa_admin)

    renamed = await alfa_admin.patch(
        BASE, json={"id_automatizacion": created["id"], "cron_expresion": "*/15 * * * *",
                    "variables_personalizadas": {"nuevo": "1"}, "descripcion": None},
    )  # fmt: skip
    unprefixed = await alfa_admin.patch(
        BASE, json={"id_automatizacion": created["id"], "nombre": "sin_prefijo"}
    )
    off = await alfa_admin.patch(BASE, json={"id_automatizacion": created["id"], "activo": False})
    missing = await alfa_admin.patch(BASE, json={"id_automatizacion": 999999, "activo": False})

    assert renamed.status_code == 200
    data = renamed.json()["data"]
    assert renamed.json()["message"] == "Automatización actualizada exitosamente"
    assert data["nombre"] == created["nombre"]
    assert data["variables_personalizadas"] == {"nuevo": "1"}, "replaced, not merged"
    assert data["descripcion"] is None
    assert data["descripcion_cron"] == "Cada 15 minutos"
    assert datetime.fromisoformat(data["proxima_ejecucion"]).minute % 15 == 0
    assert unprefixed.status_code == 400
    assert unprefixed.json()["message"] == 'El nombre debe empezar con "prod_"'
    assert off.json()["data"]["proxima_ejecucion"] is None
    assert missing.status_code == 404
    assert missing.json()["message"] == "Automatización no encontrada"


async def test_delete_takes_the_id_in_the_body_and_removes_it(
    alfa_admin: httpx.AsyncClient,
) -> None:
    created = await create(alfa_admin)

    deleted = await alfa_admin.request("DELETE", BASE, json={"id_automatizacion": created["id"]})
    again = await alfa_admin.request("DELETE", BASE, json={"id_automatizacion": created["id"]})

    assert deleted.status_code == 200
    assert deleted.json() == {
        "success": True,
        "message": "Automatización eliminada exitosamente",
        "data": {"nombre": "prod_sincronizacion_diaria", "script_path": "ok.py"},
    }
    assert again.status_code == 404


async def test_logs_of_an_unknown_automation_are_404_and_limite_is_bounded(
    alfa_admin: httpx.AsyncClient,
) -> None:
    created = await create(alfa_admin)

    empty = await alfa_admin.get(f"{BASE}/logs", params={"id_automatizacion": created["id"]})
    unknown = await alfa_admin.get(f"{BASE}/logs", params={"id_automatizacion": 999999})
    too_many = await alfa_admin.get(
        f"{BASE}/logs", params={"id_automatizacion": created["id"], "limite": 501}
    )

    assert empty.json()["data"] == {
        "logs": [],
        "estadisticas": {"total": 0, "exitosos": 0, "errores": 0, "advertencias": 0,
                         "duracion_promedio": 0.0},
    }  # fmt: skip
    assert unknown.status_code == 404
    assert too_many.status_code == 400
    assert "limite" in too_many.json()["message"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", BASE, None),
        ("POST", BASE, automation()),
        ("PATCH", BASE, {"id_automatizacion": 1, "activo": True}),
        ("DELETE", BASE, {"id_automatizacion": 1}),
        ("POST", f"{BASE}/ejecutar", {"id_automatizacion": 1}),
        ("GET", f"{BASE}/logs?id_automatizacion=1", None),
        ("GET", f"{BASE}/scheduler", None),
        ("POST", f"{BASE}/scheduler", {"accion": "recargar"}),
    ],
)
async def test_every_route_is_for_administrators_only(
    client: httpx.AsyncClient, tenants: Tenants, method: str, path: str, body: Any
) -> None:
    anonymous = await client.request(method, path, json=body)
    token = await client.request(
        method, path, json=body, headers={"Authorization": "test-secret-token-value"}
    )
    assert (await login(client, "conta@alfa.example")).status_code == 200
    accountant = await client.request(method, path, json=body)

    assert anonymous.status_code == 401
    assert anonymous.json()["success"] is False
    assert token.status_code == 401, "the service token is for the Clockify API only"
    assert accountant.status_code == 403
    assert accountant.json()["message"] == ADMINS_ONLY


async def test_an_organization_the_caller_does_not_belong_to_is_403_and_an_unknown_one_404(
    alfa_admin: httpx.AsyncClient, db: Database
) -> None:
    await create_account(db, "otro@gamma.example")
    stranger = await alfa_admin.get(BASE, params={"organizacion": "Gamma"})
    assert stranger.status_code == 404

    from tests.support.factories import create_organization

    await create_organization(db, "Gamma")
    foreign = await alfa_admin.get(BASE, params={"organizacion": "Gamma"})
    assert foreign.status_code == 403
    assert foreign.json()["message"] == "No tienes acceso a esta organización"


async def test_the_scheduler_is_paused_and_resumed_for_the_callers_organization(
    alfa_admin: httpx.AsyncClient,
) -> None:
    created = await create(alfa_admin)

    state = (await alfa_admin.get(f"{BASE}/scheduler")).json()["data"]
    stopped = await alfa_admin.post(f"{BASE}/scheduler", json={"accion": "detener"})
    everything = await alfa_admin.post(
        f"{BASE}/scheduler", json={"accion": "detener", "alcance": "todo"}
    )
    all_reload = await alfa_admin.post(f"{BASE}/scheduler", json={"accion": "recargar_todo"})
    unknown = await alfa_admin.post(f"{BASE}/scheduler", json={"accion": "reiniciar"})
    started = await alfa_admin.post(f"{BASE}/scheduler", json={"accion": "iniciar"})
    reloaded = await alfa_admin.post(f"{BASE}/scheduler", json={"accion": "recargar"})

    assert state["scheduler"]["running"] is True
    assert state["organizacion"]["nombre"] == "Alfa Industrias"
    assert state["organizacion"]["automatizacionesIds"] == [created["id"]]
    assert state["organizacion"]["proximasEjecuciones"][0]["id"] == created["id"]
    assert state["allOrganizations"] is None, "no other tenant's names for an administrator"
    assert stopped.json()["message"] == "Programador detenido para Alfa Industrias"
    assert stopped.json()["data"]["scheduler"]["running"] is False
    assert stopped.json()["data"]["scheduler"]["pausadoOrganizacion"] is True
    assert everything.status_code == 403
    assert all_reload.status_code == 403
    assert unknown.status_code == 400
    assert started.json()["data"]["scheduler"]["running"] is True
    assert reloaded.json()["message"] == "Automatizaciones de Alfa Industrias recargadas"


async def test_a_superadmin_sees_every_organizations_counts_and_pauses_everything(
    client: httpx.AsyncClient, alfa_admin: httpx.AsyncClient, db: Database, tenants: Tenants
) -> None:
    await create(alfa_admin)
    await create_account(db, "root@example.com", organization=tenants.alfa, superadmin=True)
    assert (await login(client, "root@example.com")).status_code == 200

    state = (await client.get(f"{BASE}/scheduler")).json()["data"]
    paused = await client.post(f"{BASE}/scheduler", json={"accion": "detener", "alcance": "todo"})
    resumed = await client.post(f"{BASE}/scheduler", json={"accion": "iniciar", "alcance": "todo"})

    assert state["allOrganizations"] == [{"name": "alfa_industrias", "taskCount": 1}]
    assert state["scheduler"]["totalTasks"] == 1
    assert paused.json()["data"]["scheduler"]["pausadoGlobal"] is True
    assert paused.json()["data"]["scheduler"]["running"] is False
    assert resumed.json()["data"]["scheduler"]["running"] is True
