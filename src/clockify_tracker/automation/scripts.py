"""Where scripts live and which an organization may run.

`script_path` is relative to AUTOMATIONS_DIR. A script is *exclusive* to an organization when
its first folder is that organization's database name (`org_acme/cierre.py`) or, at the top
level, its file name starts with the organization's slug and `_` (`acme_cierre.py`). When
several slugs match (`acme` and `acme_corp` for `acme_corp_cierre.py`) the longest wins, so
every file has at most one owner. An exclusive script is hidden from every other organization,
as is anything under an `org_*` folder of no organization. Everything else is *general*:
offered to all. Paths that leave the folder (`..`, absolute, a symlink pointing out), hidden
files, `_private.py` files, virtualenvs and caches are never scripts."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

SKIPPED_PARTS = {".venv", "venv", "__pycache__", "node_modules"}
HELPER_FILES = {"sat_progress.py"}


NOT_AVAILABLE = "El script no existe o no está disponible para esta organización"


class ScriptError(ValueError):
    """The path is not a script this organization may run; the message says why."""


@dataclass(frozen=True)
class OrganizationRef:
    slug: str
    database_name: str


def owner(parts: tuple[str, ...], organizations: list[OrganizationRef]) -> OrganizationRef | None:
    """The one organization a script path is exclusive to, or None for a general script."""
    if len(parts) > 1:
        return next((o for o in organizations if o.database_name == parts[0]), None)
    matching = [o for o in organizations if parts[0].startswith(o.slug + "_")]
    return max(matching, key=lambda o: len(o.slug), default=None)


def visible_to(
    relative: PurePosixPath, organization: OrganizationRef, others: list[OrganizationRef]
) -> bool:
    parts = relative.parts
    found = owner(parts, [organization, *others])
    if found is not None:
        return found == organization
    # An `org_*` folder of no organization (yet) is nobody's to use.
    return not (len(parts) > 1 and parts[0].startswith("org_"))


def resolve(
    root: Path, script_path: str, organization: OrganizationRef, others: list[OrganizationRef]
) -> Path:
    """The script's real path; ScriptError naming the problem otherwise."""
    relative = PurePosixPath(script_path.replace("\\", "/"))
    if not script_path.strip() or relative.is_absolute() or ".." in relative.parts:
        raise ScriptError("script_path debe ser una ruta relativa dentro de AUTOMATIONS_DIR")
    if relative.suffix != ".py":
        raise ScriptError("script_path debe ser un archivo .py")
    if any(p in SKIPPED_PARTS or p.startswith((".", "_")) for p in relative.parts) or (
        relative.name in HELPER_FILES
    ):
        raise ScriptError("script_path no es un script ejecutable")
    base = root.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base):
        raise ScriptError("script_path sale de AUTOMATIONS_DIR")
    # One answer for "missing" and "another organization's": the caller learns nothing about
    # what other organizations have.
    if not target.is_file() or not visible_to(relative, organization, others):
        raise ScriptError(NOT_AVAILABLE)
    return target


def interpreter(root: Path) -> str:
    """The scripts' own virtualenv when it exists; else the Python the service's virtualenv
    was made from: a real interpreter (not a shell shim that adds variables) that does not
    see the service's packages."""
    own = root / ".venv" / "bin" / "python"
    if own.is_file():
        return str(own)
    base = getattr(sys, "_base_executable", None)
    if base and Path(base).is_file():
        return str(base)
    return shutil.which("python3") or sys.executable
