"""`clockify-tracker dev`: the whole service on one machine, with nothing installed by hand.

Uses DATABASE_URL / DB_*, REDIS_URL and MAIL_SERVER when they are set (environment or `.env`);
otherwise starts an embedded PostgreSQL and Redis with data under `var/` and an SMTP sink that
keeps every message under `var/mail/`. Applies migrations, then runs the API, a Celery worker,
Celery beat and Flower until Ctrl-C (or until one of them dies), and stops all of them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from clockify_tracker.kit.migrations import alembic_ini
from clockify_tracker.local.embedded import (
    EmbeddedPostgres,
    EmbeddedRedis,
    ensure_database,
    free_port,
    port_open,
)

DEV_DATABASE = "clockify_tracker"
STOP_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class DevOptions:
    var_dir: Path
    api_port: int = 8000
    flower_port: int = 5555
    redis_port: int = 6380
    smtp_port: int = 1025


def _say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def _pick_port(preferred: int) -> int:
    return preferred if not port_open("127.0.0.1", preferred) else free_port()


def _external_services() -> tuple[bool, bool, bool]:
    """Which of database, redis and mail the operator configured (environment or .env)."""
    from clockify_tracker.config import Settings

    explicit = Settings().model_fields_set
    database = bool(explicit & {"database_url_override", "db_host"})
    return database, "redis_url" in explicit, "mail_server" in explicit


def _prepare_environment(options: DevOptions, stack: ExitStack) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("LOG_JSON", "false")
    env["CELERY_BEAT_SCHEDULE_FILE"] = str(options.var_dir / "celerybeat-schedule")
    if os.geteuid() != 0 and "AUTOMATION_ALLOW_UNISOLATED" not in env:
        # A developer's own user cannot start scripts as another one; on a development machine
        # (dev secrets) running them unisolated beats refusing them. Production refuses.
        env["AUTOMATION_ALLOW_UNISOLATED"] = "true"
        _say("Automations: not root, so scripts run as your own user and can read its config")
    has_database, has_redis, has_mail = _external_services()

    if has_database:
        _say("PostgreSQL: using DATABASE_URL / DB_* from the configuration")
    else:
        postgres = EmbeddedPostgres(options.var_dir / "postgres")
        admin_url = postgres.start()
        stack.callback(postgres.stop)
        ensure_database(admin_url, DEV_DATABASE)
        env["DATABASE_URL"] = postgres.url_for(admin_url, DEV_DATABASE)
        _say(f"PostgreSQL: embedded, data in {options.var_dir / 'postgres'}")

    if has_redis:
        _say("Redis: using REDIS_URL from the configuration")
    else:
        redis = EmbeddedRedis(options.var_dir / "redis", _pick_port(options.redis_port))
        env["REDIS_URL"] = redis.start()
        stack.callback(redis.stop)
        _say(f"Redis: embedded on {env['REDIS_URL']}, data in {options.var_dir / 'redis'}")

    if has_mail:
        _say("SMTP: using MAIL_SERVER from the configuration")
    else:
        from clockify_tracker.local.mailsink import MailSink

        smtp_port = _pick_port(options.smtp_port)
        sink = MailSink(options.var_dir / "mail", port=smtp_port)
        sink.start()
        stack.callback(sink.stop)
        env.update(
            MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port), MAIL_USE_TLS="false",
            MAIL_USE_SSL="false", MAIL_USERNAME="",
        )  # fmt: skip
        _say(f"SMTP: sink on 127.0.0.1:{smtp_port}, messages saved in {options.var_dir / 'mail'}")
    return env


def _commands(options: DevOptions) -> dict[str, list[str]]:
    from clockify_tracker.config import Settings

    python = sys.executable
    # Proxy headers only from the proxies named (see `clockify-tracker api`).
    trusted = Settings().forwarded_allow_ips.strip()
    proxy = ["--forwarded-allow-ips", trusted] if trusted else ["--no-proxy-headers"]
    return {
        "api": [
            python, "-m", "uvicorn", "clockify_tracker.main:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(options.api_port), "--no-access-log", *proxy,
        ],
        "worker": [python, "-m", "celery", "-A", "worker", "worker", "--loglevel", "INFO",
                   "--concurrency", "2", "--hostname", "dev-worker@%h"],
        "beat": [python, "-m", "celery", "-A", "worker", "beat", "--loglevel", "INFO"],
        "flower": [python, "-m", "celery", "-A", "worker", "flower",
                   f"--port={options.flower_port}", "--address=127.0.0.1"],
    }  # fmt: skip


def _stop_all(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for name, process in processes.items():
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _say(f"{name} did not stop in time; killing it")
            process.kill()
            process.wait()


def run_dev(options: DevOptions) -> int:
    options.var_dir.mkdir(parents=True, exist_ok=True)
    stopping = False

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    exit_code = 0
    with ExitStack() as stack:
        try:
            env = _prepare_environment(options, stack)
            _say("applying migrations")
            subprocess.run(
                [sys.executable, "-m", "alembic", "-c", str(alembic_ini()), "upgrade", "head"],
                env=env,
                check=True,
            )
            if env.get("ENVIRONMENT", "development") == "development":
                subprocess.run(
                    [sys.executable, "-m", "clockify_tracker.cli", "bootstrap-dev",
                     "--credentials-file", str(options.var_dir / "dev-credentials.txt")],
                    env=env,
                    check=True,
                )  # fmt: skip
            for name, command in _commands(options).items():
                # Own session: a terminal Ctrl-C reaches only this supervisor, which then stops
                # the processes first and the servers they depend on last.
                processes[name] = subprocess.Popen(command, env=env, start_new_session=True)
            _say(
                f"API and Swagger UI: http://localhost:{options.api_port}/docs  |  "
                f"Flower: http://localhost:{options.flower_port}  |  Ctrl-C stops everything"
            )
            while not stopping:
                dead = [name for name, p in processes.items() if p.poll() is not None]
                if dead:
                    _say(f"{', '.join(dead)} exited; stopping everything")
                    exit_code = 1
                    break
                time.sleep(0.5)
        except subprocess.CalledProcessError as exc:
            _say(f"start-up failed: {exc}")
            exit_code = 1
        finally:
            _say("stopping")
            _stop_all(processes)
            for sig, handler in previous.items():
                with contextlib.suppress(ValueError, TypeError):
                    signal.signal(sig, handler)
    _say("stopped")
    return exit_code
