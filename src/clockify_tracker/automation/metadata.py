"""A script's `@SAT_METADATA` block: YAML between `@SAT_METADATA` and `@END_SAT_METADATA` in its
module docstring. The file is read as text and parsed with `ast`; it is never imported or run.

Normalised for the frontend: a variable given as a plain string becomes
`{nombre, descripcion: "", requerida: true, default: null, tipo: "texto", opciones: null}`;
a phase gets an `id` (the slug of its name unless given) and a `peso` (1 unless given)."""

from __future__ import annotations

import ast
import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml

START, END = "@SAT_METADATA", "@END_SAT_METADATA"
VARIABLE_TYPES = ("texto", "fecha", "numero", "opcion")
_TEXT_KEYS = ("nombre", "descripcion", "autor", "version")
_NON_WORD = re.compile(r"[^a-z0-9]+")


class MetadataError(ValueError):
    """The block is there but malformed; the message names the line of the file."""


def slug(text: str) -> str:
    """`Recopilación de datos` -> `recopilacion_de_datos`: the ids phases are matched by."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _NON_WORD.sub("_", ascii_text).strip("_")


def _block(source: str) -> tuple[str, int] | None:
    """The block's text and the file line it starts on, or None without a block."""
    try:
        module = ast.parse(source)
    except SyntaxError:
        return None  # not valid Python: no docstring to read
    first = module.body[0] if module.body else None
    if not (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return None
    lines = source.splitlines()[first.lineno - 1 : first.end_lineno]
    stripped = [line.strip() for line in lines]
    if START not in stripped:
        return None
    begin = stripped.index(START)
    if END not in stripped[begin:]:
        raise MetadataError(f"línea {first.lineno + begin}: falta {END}")
    end = stripped.index(END, begin)
    body = "\n".join(lines[begin + 1 : end])
    return _dedent(body), first.lineno + begin + 1


def _dedent(text: str) -> str:
    lines = text.splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] for line in lines)


def parse(path: Path) -> dict[str, Any] | None:
    """The normalised metadata of the script at `path`; None when it declares none;
    MetadataError for a malformed block."""
    found = _block(path.read_text(encoding="utf-8", errors="replace"))
    if found is None:
        return None
    text, first_line = found
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        raise MetadataError(f"línea {line}: YAML inválido ({exc.problem or exc})") from None
    except yaml.YAMLError as exc:
        raise MetadataError(f"línea {first_line}: YAML inválido ({exc})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise MetadataError(f"línea {first_line}: el bloque debe ser un mapa de claves")
    return _normalise(data, first_line)


def _normalise(data: dict[str, Any], line: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key in _TEXT_KEYS:
        value = data.get(key)
        result[key] = None if value is None else str(value)
    result["variables_requeridas"] = [
        _variable(item, line) for item in _list(data, "variables_requeridas", line)
    ]
    phases = [_phase(item, line) for item in _list(data, "fases", line)]
    ids = [phase["id"] for phase in phases]
    if len(set(ids)) != len(ids):
        raise MetadataError(f"línea {line}: dos fases tienen el mismo id")
    result["fases"] = phases
    return result


def _list(data: dict[str, Any], key: str, line: int) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise MetadataError(f"línea {line}: `{key}` debe ser una lista")
    return value


def _variable(item: Any, line: int) -> dict[str, Any]:
    if isinstance(item, str):
        item = {"nombre": item}
    if not isinstance(item, dict) or not item.get("nombre"):
        raise MetadataError(f"línea {line}: cada variable requerida necesita `nombre`")
    kind = str(item.get("tipo") or "texto")
    if kind not in VARIABLE_TYPES:
        raise MetadataError(
            f"línea {line}: la variable {item['nombre']} tiene tipo {kind!r}; "
            f"debe ser {', '.join(VARIABLE_TYPES)}"
        )
    options = item.get("opciones")
    if options is not None and not isinstance(options, list):
        raise MetadataError(f"línea {line}: `opciones` de {item['nombre']} debe ser una lista")
    return {
        "nombre": str(item["nombre"]),
        "descripcion": str(item.get("descripcion") or ""),
        "requerida": bool(item.get("requerida", True)),
        "default": item.get("default"),
        "tipo": kind,
        "opciones": options,
    }


def _phase(item: Any, line: int) -> dict[str, Any]:
    if isinstance(item, str):
        item = {"nombre": item}
    if not isinstance(item, dict) or not item.get("nombre"):
        raise MetadataError(f"línea {line}: cada fase necesita `nombre`")
    weight = item.get("peso", 1)
    if not isinstance(weight, int | float) or isinstance(weight, bool) or weight <= 0:
        raise MetadataError(f"línea {line}: `peso` de {item['nombre']} debe ser un número > 0")
    return {
        "id": str(item.get("id") or slug(str(item["nombre"]))),
        "nombre": str(item["nombre"]),
        "descripcion": str(item.get("descripcion") or ""),
        "peso": weight,
    }


def missing_variables(metadata: dict[str, Any] | None, variables: dict[str, Any]) -> list[str]:
    """Required variables (without a default) that `variables` does not give; compared as the
    script sees them, VAR_LOCAL_<NAME> upper-cased."""
    if not metadata:
        return []
    given = {key.upper() for key in variables}
    return [
        variable["nombre"]
        for variable in metadata["variables_requeridas"]
        if variable["requerida"]
        and variable["default"] is None
        and variable["nombre"].upper() not in given
    ]
