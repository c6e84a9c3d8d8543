"""The `clockify-tracker` command."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

T = TypeVar("T")

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
    """Serve the HTTP API with uvicorn (proxy headers only from FORWARDED_ALLOW_IPS)."""
    import uvicorn

    from clockify_tracker.config import get_settings

    _load_settings_or_exit()
    trusted = get_settings().forwarded_allow_ips.strip()
    uvicorn.run(
        "clockify_tracker.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # uvicorn would otherwise believe any loopback peer's X-Forwarded-For, and a client
        # could pick the address its failed logins are counted against.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        access_log=False,
    )


@app.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply database migrations up to REVISION."""
    _load_settings_or_exit()
    from clockify_tracker.kit.migrations import upgrade

    upgrade(revision)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run an administration coroutine; an AppError becomes its message and exit code 1."""
    from clockify_tracker.exceptions import AppError

    try:
        return asyncio.run(coro)
    except AppError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None


def _password(confirm: bool = True) -> str:
    """From CT_PASSWORD when set (scripts), else asked without echo."""
    from_env = os.environ.get("CT_PASSWORD")
    if from_env:
        return from_env
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    return value


@app.command("create-org")
def create_org(name: Annotated[str, typer.Argument(help="Organization name")]) -> None:
    """Create an organization (its slug and script database name are derived from NAME)."""
    _load_settings_or_exit()
    from clockify_tracker.auth import admin
    from clockify_tracker.config import get_settings

    typer.echo(f"created organization {_run(admin.create_organization(get_settings(), name))}")


@app.command("create-account")
def create_account(
    email: Annotated[str, typer.Argument(help="Login email (unique, any letter case)")],
    org: Annotated[str | None, typer.Option(help="Organization name, slug or org_<slug>")] = None,
    role: Annotated[
        str, typer.Option(help="administrador | coordinador | contador")
    ] = "administrador",
    name: Annotated[str, typer.Option(help="Display name")] = "",
    superadmin: Annotated[
        bool, typer.Option(help="Every permission in every organization")
    ] = False,
) -> None:
    """Create an account; the password comes from CT_PASSWORD or is asked for."""
    _load_settings_or_exit()
    from clockify_tracker.auth import admin
    from clockify_tracker.config import get_settings
    from clockify_tracker.models import Role

    try:
        chosen_role = Role(role)
    except ValueError:
        typer.echo("error: --role must be administrador, coordinador or contador", err=True)
        raise typer.Exit(2) from None
    account_id = _run(
        admin.create_account(
            get_settings(),
            email=email,
            name=name,
            password=_password(),
            organization=org,
            role=chosen_role,
            superadmin=superadmin,
        )
    )
    typer.echo(f"created account {email} (id {account_id})")


def _role(value: str) -> Any:
    from clockify_tracker.models import Role

    try:
        return Role(value)
    except ValueError:
        typer.echo("error: --role must be administrador, coordinador or contador", err=True)
        raise typer.Exit(2) from None


@app.command("add-member")
def add_member(
    email: Annotated[str, typer.Argument(help="An existing account's email")],
    org: Annotated[str, typer.Option(help="Organization name, slug or org_<slug>")],
    role: Annotated[str, typer.Option(help="administrador | coordinador | contador")] = "contador",
) -> None:
    """Give an existing account a membership in another organization (or set its role there)."""
    _load_settings_or_exit()
    from clockify_tracker.auth import admin
    from clockify_tracker.config import get_settings

    outcome = _run(
        admin.add_member(get_settings(), email=email, organization=org, role=_role(role))
    )
    typer.echo(outcome)


@app.command("remove-member")
def remove_member(
    email: Annotated[str, typer.Argument(help="The account's email")],
    org: Annotated[str, typer.Option(help="Organization name, slug or org_<slug>")],
) -> None:
    """Remove an account from one organization; its other memberships stay."""
    _load_settings_or_exit()
    from clockify_tracker.auth import admin
    from clockify_tracker.config import get_settings

    typer.echo(_run(admin.remove_member(get_settings(), email=email, organization=org)))


@app.command("set-password")
def set_password(email: Annotated[str, typer.Argument(help="The account's email")]) -> None:
    """Set an account's password (CT_PASSWORD or prompt); its browser sessions end."""
    _load_settings_or_exit()
    from clockify_tracker.auth import admin
    from clockify_tracker.config import get_settings

    _run(admin.set_password(get_settings(), email=email, password=_password()))
    typer.echo(f"password set for {email}")


@app.command("bootstrap-dev", hidden=True)
def bootstrap_dev(credentials_file: Path = Path("var/dev-credentials.txt")) -> None:
    """Used by `dev`: the development organization and administrator, once."""
    _load_settings_or_exit()
    from clockify_tracker.auth import admin
    from clockify_tracker.config import get_settings

    created_password = _run(admin.ensure_dev_admin(get_settings()))
    if created_password is not None:
        credentials_file.parent.mkdir(parents=True, exist_ok=True)
        credentials_file.write_text(created_password + "\n")
        credentials_file.chmod(0o600)
    password = (
        credentials_file.read_text().strip()
        if credentials_file.exists()
        else "(unknown: set one with `clockify-tracker set-password`)"
    )
    typer.echo(f"[dev] log in as {admin.DEV_ADMIN_EMAIL} / {password}")
    typer.echo("[dev]   Swagger UI: POST /api/auth/login with that email and password")


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
