"""The script catalogue and metadata: what each organization may use, what scripts declare,
and what creating an automation requires of them."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clockify_tracker.automation import catalogue, scripts
from clockify_tracker.kit.db import Database
from clockify_tracker.organization.service import slugify
from tests.automation.conftest import BASE, Tenants, automation, create
from tests.support.factories import create_account, create_organization, login

ALFA = scripts.OrganizationRef("alfa_industrias", "org_alfa_industrias")
BETA = scripts.OrganizationRef("beta_servicios", "org_beta_servicios")


async def listed(client: httpx.AsyncClient) -> dict[str, dict[str, object]]:
    body = (await client.get(f"{BASE}/disponibles")).json()
    assert body["success"] is True
    data = body["data"]
    assert data["total"] == len(data["scripts_disponibles"])
    assert data["configurados"] + data["sin_configurar"] == data["total"]
    return {item["script_path"]: item for item in data["scripts_disponibles"]}


async def test_an_organization_sees_general_scripts_and_its_own_never_anothers(
    alfa_admin: httpx.AsyncClient, tenants: Tenants
) -> None:
    configured = await create(alfa_admin, script_path="ok.py")

    alfa = await listed(alfa_admin)
    assert (await login(alfa_admin, "admin@beta.example")).status_code == 200
    beta = await listed(alfa_admin)

    assert {"ok.py", "aviso.py", "compartidos/reporte_diario.py", "con_fases.py"} <= set(alfa)
    assert "alfa_industrias_cierre.py" in alfa
    assert "org_beta_servicios/conciliacion.py" not in alfa
    assert "_privado.py" not in alfa
    assert "org_beta_servicios/conciliacion.py" in beta
    assert "alfa_industrias_cierre.py" not in beta
    own = alfa["alfa_industrias_cierre.py"]
    assert own["es_especifico_org"] is True
    assert own["nombre_display"] == "cierre"
    assert own["nombre_sugerido"] == "prod_alfa_industrias_cierre"
    assert alfa["ok.py"]["configurado"] is True
    assert alfa["ok.py"]["automatizacion_id"] == configured["id"]
    assert beta["ok.py"]["configurado"] is False, "configured by Alfa, not by Beta"
    phased = alfa["con_fases.py"]
    assert phased["tiene_metadata"] is True
    assert phased["descripcion_sugerida"] == "Descarga los CFDI del día y los envía por correo"
    broken = alfa["metadata_rota.py"]
    assert broken["tiene_metadata"] is False
    assert "línea 5" in str(broken["error_metadata"])
    assert alfa["compartidos/reporte_diario.py"]["descripcion_sugerida"] == (
        "Automatización: reporte diario"
    )


async def test_metadata_is_normalised_for_the_frontend(alfa_admin: httpx.AsyncClient) -> None:
    response = await alfa_admin.get(f"{BASE}/metadata", params={"script_path": "con_fases.py"})

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["tiene_metadata"] is True
    meta = data["metadata"]
    assert (meta["nombre"], meta["version"], meta["autor"]) == ("Reporte Diario", "1.0.0",
                                                                "Sistema")  # fmt: skip
    assert meta["variables_requeridas"] == [
        {"nombre": "DESTINATARIO_EMAIL", "descripcion": "", "requerida": True, "default": None,
         "tipo": "texto", "opciones": None},
        {"nombre": "DIAS", "descripcion": "Días hacia atrás", "requerida": True, "default": 1,
         "tipo": "numero", "opciones": None},
    ]  # fmt: skip
    assert meta["fases"] == [
        {"id": "recopilacion", "nombre": "Recopilación", "descripcion": "Descarga de CFDI",
         "peso": 1},
        {"id": "envio", "nombre": "Envío", "descripcion": "", "peso": 3},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("script_path", "message"),
    [
        ("metadata_rota.py", "línea 5"),
        ("org_beta_servicios/conciliacion.py", "no existe o no está disponible"),
        ("../pyproject.toml", "ruta relativa"),
        ("/etc/passwd", "ruta relativa"),
        ("no_existe.py", "no existe o no está disponible"),
    ],
)
async def test_metadata_of_a_script_that_is_not_usable_or_malformed_is_400(
    alfa_admin: httpx.AsyncClient, script_path: str, message: str
) -> None:
    response = await alfa_admin.get(f"{BASE}/metadata", params={"script_path": script_path})
    assert response.status_code == 400
    assert message in response.json()["message"]


async def test_required_variables_must_be_given_to_create_or_activate(
    alfa_admin: httpx.AsyncClient,
) -> None:
    missing = await alfa_admin.post(
        BASE, json=automation(script_path="con_fases.py", variables_personalizadas={})
    )
    given = await alfa_admin.post(
        BASE, json=automation(script_path="con_fases.py", activo=False,
                              variables_personalizadas={"destinatario_email": "a@b.mx"})
    )  # fmt: skip
    automation_id = given.json()["data"]["id"]
    dropped = await alfa_admin.patch(
        BASE, json={"id_automatizacion": automation_id, "variables_personalizadas": {}}
    )
    activated = await alfa_admin.patch(
        BASE, json={"id_automatizacion": automation_id, "activo": True}
    )

    assert missing.status_code == 400
    assert missing.json()["message"] == (
        "Faltan variables requeridas por el script: DESTINATARIO_EMAIL"
    ), "DIAS has a default"
    assert given.status_code == 200
    assert dropped.status_code == 200, "an inactive automation may lack them for now"
    assert activated.status_code == 400
    assert "DESTINATARIO_EMAIL" in activated.json()["message"]


def test_discovery_refuses_symlinks_out_of_the_folder_and_hidden_places(tmp_path: Path) -> None:
    root = tmp_path / "scripts"
    outside = tmp_path / "outside"
    (root / "org_alfa_industrias").mkdir(parents=True)
    (root / ".venv" / "lib").mkdir(parents=True)
    outside.mkdir()
    (outside / "secreto.py").write_text("print('fuera')\n")
    (root / "general.py").write_text("print('general')\n")
    (root / "org_alfa_industrias" / "propio.py").write_text("print('propio')\n")
    (root / ".venv" / "lib" / "site.py").write_text("print('venv')\n")
    (root / "enlace.py").symlink_to(outside / "secreto.py")
    (root / "carpeta_enlazada").symlink_to(outside)
    (root / "alias.py").symlink_to(root / "general.py")  # inside: allowed

    found = {s.script_path for s in catalogue.discover(root, ALFA, [BETA])}

    assert found == {"general.py", "alias.py", "org_alfa_industrias/propio.py"}
    with pytest.raises(scripts.ScriptError, match="sale de AUTOMATIONS_DIR"):
        scripts.resolve(root, "enlace.py", ALFA, [BETA])
    with pytest.raises(scripts.ScriptError, match="sale de AUTOMATIONS_DIR"):
        scripts.resolve(root, "carpeta_enlazada/secreto.py", ALFA, [BETA])
    with pytest.raises(scripts.ScriptError, match="no existe o no está disponible"):
        scripts.resolve(root, "org_alfa_industrias/propio.py", BETA, [ALFA])


async def test_a_longer_slug_owns_its_scripts_against_a_shorter_one_it_starts_with(
    db: Database, alfa_admin: httpx.AsyncClient, tenants: Tenants
) -> None:
    """ "Alfa Industrias" (alfa_industrias) must not reach "Alfa Industrias MX"'s
    alfa_industrias_mx_secreto.py by sharing the start of its slug."""
    mx = await create_organization(db, "Alfa Industrias MX")
    await create_account(db, "admin@mx.example", organization=mx)
    secret = "alfa_industrias_mx_secreto.py"

    alfa = await listed(alfa_admin)
    metadata = await alfa_admin.get(f"{BASE}/metadata", params={"script_path": secret})
    created = await alfa_admin.post(BASE, json=automation(script_path=secret))

    assert secret not in alfa
    assert "alfa_industrias_cierre.py" in alfa, "its own scripts stay its own"
    for refused in (metadata, created):
        assert refused.status_code == 400
        assert "PRIVADO" not in refused.text
        assert refused.json()["message"] == scripts.NOT_AVAILABLE
    assert (await login(alfa_admin, "admin@mx.example")).status_code == 200
    theirs = await listed(alfa_admin)
    assert theirs[secret]["es_especifico_org"] is True
    assert theirs[secret]["nombre_display"] == "secreto"
    assert "alfa_industrias_cierre.py" not in theirs


_SLUG_WORDS = st.sampled_from(["acme", "corp", "mx", "norte", "a", "b", "sur", "grupo"])


@given(
    names=st.lists(
        st.lists(_SLUG_WORDS, min_size=1, max_size=3).map(" ".join),
        min_size=2,
        max_size=6,
        unique=True,
    ),
    files=st.lists(
        st.lists(_SLUG_WORDS, min_size=1, max_size=5).map(lambda w: "_".join(w) + ".py"),
        min_size=1,
        max_size=10,
    ),
)
def test_no_script_is_exclusive_to_two_organizations(names: list[str], files: list[str]) -> None:
    organizations = [
        scripts.OrganizationRef(slug, f"org_{slug}")
        for slug in dict.fromkeys(slugify(name) for name in names)
    ]
    paths = [PurePosixPath(f) for f in files] + [
        PurePosixPath(o.database_name, f) for o in organizations for f in files[:2]
    ]
    for path in paths:
        seen_by = [
            o.slug
            for o in organizations
            if scripts.visible_to(path, o, [x for x in organizations if x != o])
        ]
        assert len(seen_by) in (0, 1, len(organizations)), (path, seen_by)
        owner = scripts.owner(path.parts, organizations)
        if owner is not None:
            assert seen_by == [owner.slug], (path, seen_by)
