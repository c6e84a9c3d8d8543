"""Settings: one class, read from the environment and `.env`, seed variable names kept."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy import URL, make_url

# Secrets get a recognisable development value so `make dev` works without a `.env`;
# production refuses to start while any of them is still this value or empty.
DEV_SECRET_PREFIX = "dev-insecure-"  # noqa: S105 - a marker, not a secret

SECRET_FIELDS: tuple[str, ...] = (
    "secret_token",
    "clockify_secret_token_start",
    "clockify_secret_token_end",
    "clockify_secret_token_edit",
    "clockify_secret_token_delete",
    "clockify_secret_token_manual_create",
    "jwt_secret",
)


def _dev_secret(name: str) -> SecretStr:
    return SecretStr(f"{DEV_SECRET_PREFIX}{name}")


CommaList = Annotated[list[str], NoDecode]


class ConfigurationError(RuntimeError):
    """Raised at start-up when the settings cannot run the service safely."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    environment: Literal["development", "test", "production"] = "development"

    # PostgreSQL: DATABASE_URL wins; otherwise the seed's DB_* variables.
    database_url_override: SecretStr | None = Field(default=None, alias="DATABASE_URL")
    db_host: str = "localhost"
    db_port: int = 5432
    db_user: str = "postgres"
    db_password: SecretStr = SecretStr("")
    db_name: str = "clockify_tracker"
    db_pool_size: int = 10

    redis_url: SecretStr = SecretStr("redis://localhost:6379/0")

    secret_token: SecretStr = _dev_secret("secret-token")
    clockify_secret_token_start: SecretStr = _dev_secret("clockify-start")
    clockify_secret_token_end: SecretStr = _dev_secret("clockify-end")
    clockify_secret_token_edit: SecretStr = _dev_secret("clockify-edit")
    clockify_secret_token_delete: SecretStr = _dev_secret("clockify-delete")
    clockify_secret_token_manual_create: SecretStr = _dev_secret("clockify-manual-create")
    jwt_secret: SecretStr = _dev_secret("jwt-secret-change-me-0123456789abcdef")

    mail_server: str = "localhost"
    mail_port: int = 1025
    mail_use_tls: bool = False
    mail_use_ssl: bool = False
    mail_username: str = ""
    mail_password: SecretStr = SecretStr("")
    mail_default_sender: str = "notificaciones@localhost"
    mail_recipient: str = ""
    # The seed README names MAIL_RECIPIENTS; the first implementation read
    # MAIL_ADDITIONAL_RECIPIENTS. Both are accepted and merged.
    mail_recipients: CommaList = Field(default_factory=list)
    mail_additional_recipients: CommaList = Field(default_factory=list)
    mail_timeout_seconds: float = 10.0

    email_max_retries: int = Field(default=3, ge=0, le=20)
    email_retry_delay: float = Field(default=5.0, gt=0)
    email_process_interval: float = Field(default=5.0, gt=0)
    # A send claimed longer ago than this (its worker died) may be claimed again.
    email_lease_seconds: float = Field(default=120.0, ge=1)

    # Outbox: a row not yet handed to Celery this long after it became due is re-sent by the
    # sweeper; a row handed over but still pending after `outbox_redispatch_seconds` is
    # considered lost (worker killed, queue flushed) and re-sent too.
    outbox_grace_seconds: float = Field(default=10.0, ge=0)
    outbox_redispatch_seconds: float = Field(default=300.0, gt=0)

    # Browser sessions: a short-lived access cookie and a single-use refresh cookie.
    access_token_minutes: int = Field(default=15, ge=1, le=120)
    refresh_token_days: int = Field(default=7, ge=1, le=90)
    jwt_issuer: str = "clockify-tracker"
    # Failed logins allowed per account and per client address within the window.
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)
    # Password hashes (Argon2id: tens of ms of CPU and 64 MiB each) running at once per API
    # process; a login that waits longer than the wait for a slot gets 503 with Retry-After.
    login_max_concurrent_hashes: int = Field(default=2, ge=1, le=64)
    login_hash_wait_seconds: float = Field(default=3.0, gt=0)
    # Self-service sign-up (`POST /api/auth/register`) creates an organization with the
    # registrant as its administrator. Off unless an installation opens it.
    registration_enabled: bool = False
    registration_max_per_address: int = Field(default=5, ge=1)

    # Clockify webhooks. TIME_ENTRY_RESTORED is handled only when its token is set.
    clockify_secret_token_restore: SecretStr = SecretStr("")
    edit_tolerance_minutes: float = Field(default=5.0, ge=0)
    manual_entries_require_review: bool = True
    webhook_max_body_bytes: int = Field(default=1_048_576, ge=1024)

    app_timezone: str = "America/Mexico_City"
    overtime_hours: float = Field(default=5.0, gt=0)

    # Periodic reports: weekly on Mondays and monthly on the 1st, at REPORT_SEND_HOUR local
    # time. Beat checks every REPORT_SCHEDULE_INTERVAL seconds which period is due, so a beat
    # that was down at that hour still sends it within REPORT_CATCH_UP_HOURS, and never twice.
    reports_schedule_enabled: bool = True
    report_send_hour: int = Field(default=7, ge=0, le=23)
    report_catch_up_hours: float = Field(default=48.0, ge=0)
    report_schedule_interval: float = Field(default=60.0, gt=0)
    report_max_days: int = Field(default=366, ge=1)
    # A user's email set or changed by a coordinator gets no report for this many hours
    # unless an administrator confirms it (a rewritten address must not receive the hours at
    # once); 0 turns the hold off. Changes by administrators and the service token are
    # confirmed as they are made.
    report_new_address_hold_hours: float = Field(default=24.0, ge=0)
    # The open-session monitor: every this many seconds a running session past OVERTIME_HOURS
    # is flagged; 0 turns it off.
    monitor_interval_seconds: float = Field(default=60.0, ge=0)
    automations_dir: Path = Path("automations")
    # A run is ended after its automation's timeout (this default, 10 minutes): SIGTERM to its
    # process group, SIGKILL after the grace period.
    automation_timeout_seconds: int = Field(default=600, ge=1, le=86_400)
    automation_kill_grace_seconds: float = Field(default=10.0, ge=0)
    # A run still `en_ejecucion` this long after its time limit and grace lost its worker.
    automation_reaper_margin_seconds: float = Field(default=60.0, ge=0)
    # A tick found late (the scheduler was down) still runs when it is at most this late.
    automation_misfire_grace_seconds: float = Field(default=300.0, ge=0)
    # How often beat asks the dispatcher for due automations; 0 turns the schedule off.
    automation_dispatch_interval: float = Field(default=5.0, ge=0)
    # An automation's failures are emailed to its administrators at most this often.
    automation_failure_email_seconds: float = Field(default=3600.0, ge=0)
    # Scripts run as this unprivileged user (created with `useradd --system` when missing and
    # the worker is root). A worker that cannot switch users refuses to run scripts unless
    # AUTOMATION_ALLOW_UNISOLATED is true (development only: they can then read its secrets).
    automation_run_as_user: str = "clockify-scripts"
    automation_allow_unisolated: bool = False
    cors_origins: CommaList = Field(default_factory=list)
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated addresses
    # or `*`). Empty: none, and the client address is the TCP peer's (login limits count it).
    forwarded_allow_ips: str = ""
    default_organization: str = "default"

    log_level: str = "INFO"
    log_json: bool = True
    celery_beat_schedule_file: Path = Path("var/celerybeat-schedule")

    @field_validator("mail_recipients", "mail_additional_recipients", "cors_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("app_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"APP_TIMEZONE: unknown IANA time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _production_secrets(self) -> Settings:
        if self.environment != "production":
            return self
        weak = [
            name.upper()
            for name in SECRET_FIELDS
            if not (value := getattr(self, name).get_secret_value())
            or value.startswith(DEV_SECRET_PREFIX)
        ]
        if len(self.jwt_secret.get_secret_value()) < 32 and "JWT_SECRET" not in weak:
            weak.append("JWT_SECRET")
        if weak:
            raise ConfigurationError(
                "ENVIRONMENT=production refuses to start: set a real value (JWT_SECRET: at least "
                f"32 characters) for {', '.join(weak)}"
            )
        return self

    @cached_property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.app_timezone)

    @cached_property
    def database_url(self) -> URL:
        """The asyncpg URL; the password is URL-safe whatever characters it holds."""
        if self.database_url_override is not None:
            return to_asyncpg_url(self.database_url_override.get_secret_value())
        return URL.create(
            "postgresql+asyncpg",
            username=self.db_user,
            password=self.db_password.get_secret_value() or None,
            host=self.db_host,
            port=self.db_port,
            database=self.db_name,
        )

    @property
    def secure_cookies(self) -> bool:
        return self.environment != "development"

    @property
    def coordinator_recipients(self) -> list[str]:
        seen: dict[str, None] = {}
        for address in [
            self.mail_recipient,
            *self.mail_recipients,
            *self.mail_additional_recipients,
        ]:
            if address:
                seen.setdefault(address, None)
        return list(seen)

    def secret_values(self) -> list[str]:
        """Every configured secret, so the log filter can mask them wherever they show up."""
        values = [getattr(self, name).get_secret_value() for name in SECRET_FIELDS]
        values.append(self.mail_password.get_secret_value())
        values.append(self.db_password.get_secret_value())
        if self.database_url.password:
            values.append(str(self.database_url.password))
        redis_password = urlsplit(self.redis_url.get_secret_value()).password
        if redis_password:
            values.append(redis_password)
        return [value for value in values if len(value) >= 4]


def to_asyncpg_url(raw: str) -> URL:
    url = make_url(raw)
    if url.drivername in {"postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"}:
        url = url.set(drivername="postgresql+asyncpg")
    return url


def get_settings() -> Settings:
    return Settings()


settings = get_settings()
