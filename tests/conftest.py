"""Test configuration. Services are resolved before any service module reads its settings."""

from __future__ import annotations

from tests.support.services import configure_test_environment

SERVICES = configure_test_environment()

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.redis",
    "tests.fixtures.smtp",
    "tests.fixtures.app",
    "tests.fixtures.worker",
    "tests.fixtures.stack",
    "tests.fixtures.exchange",
]


def pytest_unconfigure() -> None:
    SERVICES.stop_embedded()


def pytest_report_header() -> str:
    return f"clockify-tracker test services: {SERVICES.origin}"
