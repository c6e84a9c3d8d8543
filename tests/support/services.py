"""Which PostgreSQL and Redis the suite uses, decided before the service settings are read.

TEST_DATABASE_URL / TEST_REDIS_URL when set; otherwise the local servers at their default
ports when they answer; otherwise embedded servers with data under var/test/."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import make_url

from clockify_tracker.local.embedded import (
    EmbeddedPostgres,
    EmbeddedRedis,
    ensure_database,
    free_port,
    postgres_answers,
    redis_answers,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_DATABASE = "clockify_tracker_test"
LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS = "redis://127.0.0.1:6379/15"


@dataclass(frozen=True)
class TestServices:
    database_url: str
    redis_url: str
    origin: str
    stops: list[Callable[[], None]] = field(default_factory=list)

    def stop_embedded(self) -> None:
        """Stop the embedded servers this run started (none when it used real ones)."""
        while self.stops:
            self.stops.pop()()


_stops: list[Callable[[], None]] = []


def _database_url() -> tuple[str, str]:
    if explicit := os.environ.get("TEST_DATABASE_URL"):
        return explicit, "TEST_DATABASE_URL"
    if postgres_answers(LOCAL_POSTGRES):
        admin, origin = LOCAL_POSTGRES, "local PostgreSQL on 127.0.0.1:5432"
    else:
        server = EmbeddedPostgres(REPO_ROOT / "var" / "test" / "postgres")
        admin, origin = server.start(), "embedded PostgreSQL"
        _stops.append(server.stop)
    ensure_database(admin, TEST_DATABASE)
    url = make_url(admin).set(database=TEST_DATABASE)
    return url.render_as_string(hide_password=False), origin


def _redis_url() -> tuple[str, str]:
    if explicit := os.environ.get("TEST_REDIS_URL"):
        return explicit, "TEST_REDIS_URL"
    if redis_answers(LOCAL_REDIS):
        return LOCAL_REDIS, "local Redis on 127.0.0.1:6379 (db 15)"
    server = EmbeddedRedis(REPO_ROOT / "var" / "test" / "redis", free_port(), persistent=False)
    url = server.start()
    _stops.append(server.stop)
    return url, "embedded Redis"


def _scripts_folder() -> Path:
    """The suite's scripts (tests/data/automations), copied where the scripts' unprivileged
    user can read them: a checkout under root's home (mode 0700) is closed to it, as the
    worker's private folders are meant to be."""
    folder = Path(tempfile.mkdtemp(prefix="ct-test-automations-"))
    shutil.copytree(REPO_ROOT / "tests" / "data" / "automations", folder, dirs_exist_ok=True)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    _stops.append(lambda: shutil.rmtree(folder, ignore_errors=True))
    return folder


def configure_test_environment() -> TestServices:
    database_url, db_origin = _database_url()
    redis_url, redis_origin = _redis_url()
    for name in ("DB_HOST", "DB_PORT", "DB_USER", "DB_PASSWORD", "DB_NAME"):
        os.environ.pop(name, None)
    os.environ.update(
        ENVIRONMENT="test",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        LOG_JSON="false",
        # The sweeper runs every second in tests so lost hand-overs are recovered quickly.
        EMAIL_PROCESS_INTERVAL="1",
        EMAIL_RETRY_DELAY="0.2",
        OUTBOX_GRACE_SECONDS="1",
        # The shared worker's beat would act on other tests' rows (a running session from
        # hours ago, last month's sessions); the tests of these two start their own beats.
        REPORTS_SCHEDULE_ENABLED="false",
        MONITOR_INTERVAL_SECONDS="0",
        AUTOMATION_DISPATCH_INTERVAL="0",
        # The suite's scripts (tests/data/automations), and a short kill grace for timeouts.
        AUTOMATIONS_DIR=str(_scripts_folder()),
        AUTOMATION_KILL_GRACE_SECONDS="1",
        SECRET_TOKEN="test-secret-token-value",
        # The default organization's coordination, who get every notification.
        MAIL_RECIPIENT="clockify@example.com",
        MAIL_RECIPIENTS="coordinacion@example.com,gerencia@example.com",
        MAIL_DEFAULT_SENDER="notificaciones@example.com",
    )
    return TestServices(database_url, redis_url, f"{db_origin}; {redis_origin}", _stops)
