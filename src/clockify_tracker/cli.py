"""The `clockify-tracker` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="clockify-tracker: Clockify audit service and automations.", no_args_is_help=True
)


def _load_settings_or_exit() -> None:
    """Read the settings once, turning a refusal into a clear message and exit code 2."""
    try:
        from clockify_tracker.config import get_settings

        get_settings()
    except Exception as exc:  # ConfigurationError, or a pydantic error naming the variable
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None


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

    _load_settings_or_exit()
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
    _load_settings_or_exit()
    from clockify_tracker.kit.migrations import upgrade

    upgrade(revision)


@app.command("check-config")
def check_config() -> None:
    """Load the settings as the service would and report problems (secrets are not printed)."""
    _load_settings_or_exit()
    from clockify_tracker.config import get_settings

    current = get_settings()
    typer.echo(f"environment={current.environment} timezone={current.app_timezone}")
    typer.echo(f"database={current.database_url.render_as_string(hide_password=True)}")
    typer.echo("configuration OK")


if __name__ == "__main__":
    app()
