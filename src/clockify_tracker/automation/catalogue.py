"""The scripts an organization may use: every `.py` under AUTOMATIONS_DIR that `scripts.resolve`
accepts for it, with what its metadata says. Discovery never fails on one bad file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from clockify_tracker.automation import metadata, scripts


@dataclass(frozen=True)
class Script:
    script_path: str
    exclusive: bool
    suggested_name: str
    display_name: str
    metadata: dict[str, Any] | None
    metadata_error: str | None

    @property
    def suggested_description(self) -> str:
        described = (self.metadata or {}).get("descripcion")
        return str(described) if described else f"Automatización: {self.display_name}"


def _candidates(root: Path) -> list[str]:
    found: list[str] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        # Prune what is never a script folder, so a large virtualenv is not walked at all.
        dirs[:] = sorted(
            d for d in dirs if d not in scripts.SKIPPED_PARTS and not d.startswith((".", "_"))
        )
        relative = Path(folder).relative_to(root)
        found.extend(str(PurePosixPath(relative, name)) for name in sorted(files))
    return [path for path in found if path.endswith(".py")]


def discover(
    root: Path, own: scripts.OrganizationRef, others: list[scripts.OrganizationRef]
) -> list[Script]:
    base = root.resolve()
    if not base.is_dir():
        return []
    listed = []
    for script_path in _candidates(base):
        try:
            path = scripts.resolve(base, script_path, own, others)
        except scripts.ScriptError:
            continue  # hidden, another organization's, or leaving the folder
        parts = PurePosixPath(script_path).parts
        exclusive = scripts.owner(parts, [own, *others]) == own
        try:
            parsed, error = metadata.parse(path), None
        except metadata.MetadataError as exc:
            parsed, error = None, str(exc)
        listed.append(
            Script(
                script_path=script_path,
                exclusive=exclusive,
                suggested_name=_suggested_name(path.stem),
                display_name=_display_name(path.stem, own, exclusive),
                metadata=parsed,
                metadata_error=error,
            )
        )
    return listed


def _suggested_name(stem: str) -> str:
    """What the frontend builds too: `prod_` + the file's stem, unless it starts so already."""
    return stem if stem.startswith("prod_") else f"prod_{stem}"


def _display_name(stem: str, own: scripts.OrganizationRef, exclusive: bool) -> str:
    name = stem.removeprefix(own.slug + "_") if exclusive else stem
    return name.removeprefix("prod_").replace("_", " ").strip()
