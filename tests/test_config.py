from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from clockify_tracker.config import SECRET_FIELDS, ConfigurationError, Settings
from tests.support.services import REPO_ROOT

STRONG = {name.upper(): f"a-real-secret-for-{name}-0123456789abcdef" for name in SECRET_FIELDS}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in [*STRONG, "ENVIRONMENT", "MAIL_RECIPIENT", "MAIL_RECIPIENTS", "DATABASE_URL"]:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_refuses_development_secrets_and_names_each(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("ENVIRONMENT", "production")
    clean_env.setenv("SECRET_TOKEN", STRONG["SECRET_TOKEN"])

    with pytest.raises(ConfigurationError) as refused:
        Settings(_env_file=None)

    message = str(refused.value)
    assert "CLOCKIFY_SECRET_TOKEN_START" in message
    assert "JWT_SECRET" in message
    assert "SECRET_TOKEN" not in message.replace("CLOCKIFY_SECRET_TOKEN", "")


def test_production_refuses_an_empty_secret(clean_env: pytest.MonkeyPatch) -> None:
    for name, value in STRONG.items():
        clean_env.setenv(name, value)
    clean_env.setenv("ENVIRONMENT", "production")
    clean_env.setenv("CLOCKIFY_SECRET_TOKEN_DELETE", "")

    with pytest.raises(ConfigurationError, match="CLOCKIFY_SECRET_TOKEN_DELETE"):
        Settings(_env_file=None)


def test_production_starts_with_real_secrets(clean_env: pytest.MonkeyPatch) -> None:
    for name, value in STRONG.items():
        clean_env.setenv(name, value)
    clean_env.setenv("ENVIRONMENT", "production")

    assert Settings(_env_file=None).environment == "production"


def test_cli_refuses_to_start_in_production_without_printing_secrets() -> None:
    env = {k: v for k, v in os.environ.items() if k not in STRONG}
    env.update(ENVIRONMENT="production", SECRET_TOKEN="a-real-secret-that-must-not-leak-0001")
    result = subprocess.run(
        [sys.executable, "-m", "clockify_tracker.cli", "check-config"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert result.returncode == 2
    assert "CLOCKIFY_SECRET_TOKEN_END" in result.stderr
    assert "a-real-secret-that-must-not-leak-0001" not in result.stderr + result.stdout


def test_seed_mail_variables_are_read_and_merged(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("MAIL_RECIPIENT", "clockify@example.com")
    clean_env.setenv("MAIL_RECIPIENTS", "coordinacion@example.com, gerencia@example.com")
    clean_env.setenv("MAIL_ADDITIONAL_RECIPIENTS", "gerencia@example.com,extra@example.com")
    clean_env.setenv("MAIL_USE_TLS", "TRUE")

    settings = Settings(_env_file=None)

    assert settings.coordinator_recipients == [
        "clockify@example.com",
        "coordinacion@example.com",
        "gerencia@example.com",
        "extra@example.com",
    ]
    assert settings.mail_use_tls is True


def test_db_variables_build_a_url_safe_for_any_password(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DB_HOST", "db.internal")
    clean_env.setenv("DB_PORT", "6543")
    clean_env.setenv("DB_USER", "clockify")
    clean_env.setenv("DB_PASSWORD", "p@ss:w/rd#?%")
    clean_env.setenv("DB_NAME", "ClockifyWH")

    url = Settings(_env_file=None).database_url

    assert url.drivername == "postgresql+asyncpg"
    assert (url.host, url.port, url.username, url.database) == (
        "db.internal", 6543, "clockify", "ClockifyWH",
    )  # fmt: skip
    assert url.password == "p@ss:w/rd#?%"
    assert "p@ss:w/rd#?%" not in repr(Settings(_env_file=None))


def test_database_url_wins_and_gets_the_async_driver(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql://u:pw@h:5432/d")
    clean_env.setenv("DB_HOST", "ignored")

    url = Settings(_env_file=None).database_url

    assert (url.drivername, url.host, url.database) == ("postgresql+asyncpg", "h", "d")


def test_unknown_time_zone_is_refused_naming_the_variable(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("APP_TIMEZONE", "Mars/Olympus_Mons")

    with pytest.raises(ValidationError, match="APP_TIMEZONE"):
        Settings(_env_file=None)


def test_defaults_follow_the_seed(clean_env: pytest.MonkeyPatch) -> None:
    for name in ("EMAIL_MAX_RETRIES", "EMAIL_RETRY_DELAY", "EMAIL_PROCESS_INTERVAL"):
        clean_env.delenv(name, raising=False)
    settings = Settings(_env_file=None)

    assert settings.app_timezone == "America/Mexico_City"
    assert settings.overtime_hours == 5
    assert (settings.email_max_retries, settings.email_retry_delay) == (3, 5)
    assert settings.email_process_interval == 5
