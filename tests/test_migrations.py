from __future__ import annotations

from tests.fixtures.database import run_alembic


def test_models_and_migrations_agree(migrated_schema: None) -> None:
    result = run_alembic("check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_migrations_go_down_to_base_and_up_again(migrated_schema: None) -> None:
    down = run_alembic("downgrade", "base")
    assert down.returncode == 0, down.stderr
    up = run_alembic("upgrade", "head")
    assert up.returncode == 0, up.stderr
