"""The `clockify-tracker` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="clockify-tracker: Clockify audit service and automations.", no_args_is_help=True
)

_REPO_ROOT = Path(__file__).resolve().parents[2]


def _alembic_ini() -> Path:
    local = Path.cwd() / "alembic.ini"
    return local if local.exists() else _REPO_ROOT / "alembic.ini"


@app.command()
def dev(
    api_port: Annotated[int, typer.Option(help="Port of the API and Swagger UI")] = 8000,
    flower_port: Annotated[int, typer.Option(help="Port of Flower")] = 5555,
    var_dir: Annotated[Path, typer.Option(help="Where embedded services keep their data")] = Path(
        "var"
    ),
) -> None:
    """Run API, worker, beat and Flower; embedded PostgreSQL/Redis/SMTP sink when not configured."""
    from clockify_tracker.local.supervisor import DevOptions, run_dev

    code = run_dev(DevOptions(var_dir=var_dir, api_port=api_port, flower_port=flower_port))
    raise typer.Exit(code)


@app.command()
def api(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "0.0.0.0",  # noqa: S104
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Uvicorn worker processes")] = 1,
) -> None:
    """Serve the HTTP API with uvicorn."""
    import uvicorn

    uvicorn.run(
        "clockify_tracker.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        access_log=False,
    )


@app.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply database migrations up to REVISION."""
    from alembic import command
    from alembic.config import Config

    command.upgrade(Config(str(_alembic_ini())), revision)


@app.command("check-config")
def check_config() -> None:
    """Load the settings as the service would and report problems (secrets are not printed)."""
    from clockify_tracker.config import get_settings

    current = get_settings()
    typer.echo(f"environment={current.environment} timezone={current.app_timezone}")
    typer.echo(f"database={current.database_url.render_as_string(hide_password=True)}")
    typer.echo("configuration OK")
