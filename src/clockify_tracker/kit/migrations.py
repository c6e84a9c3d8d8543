"""Running Alembic from anywhere: the repository's alembic.ini, or the one in the cwd (image)."""

from __future__ import annotations

from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[3]


def alembic_ini() -> Path:
    local = Path.cwd() / "alembic.ini"
    return local if local.exists() else _REPO_ROOT / "alembic.ini"


def upgrade(revision: str = "head") -> None:
    from alembic import command
    from alembic.config import Config

    command.upgrade(Config(str(alembic_ini())), revision)
