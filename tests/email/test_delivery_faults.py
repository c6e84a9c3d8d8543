"""Email delivery when infrastructure fails: Redis stopped while webhooks arrive, and several
workers and sweepers racing on the same rows.

These tests run a stack of their own (a database, a Redis they can stop, an SMTP server and
workers), so the suite's shared worker cannot deliver for them and hide a broken path."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from celery import Celery
from sqlalchemy import func, make_url, select, text

from clockify_tracker.config import Settings, settings
from clockify_tracker.email import service as email_service
from clockify_tracker.kit.celery_app import create_celery_app
from clockify_tracker.kit.db import Database
from clockify_tracker.local.embedded import EmbeddedRedis, ensure_database, free_port
from clockify_tracker.main import create_app
from clockify_tracker.models import ClockifyEvent, EmailMessage
from tests.fixtures.database import run_alembic, truncate_all
from tests.fixtures.smtp import ReceivedMail, SmtpServer, running_smtp_server
from tests.fixtures.worker import WorkerProcess, start_worker
from tests.support.clockify import entry, send
from tests.support.polling import eventually

pytestmark = pytest.mark.slow

FAULTS_DATABASE = "clockify_tracker_faults"
COORDINATION = ["clockify@example.com", "coordinacion@example.com", "gerencia@example.com"]


@dataclass
class Stack:
    database_url: str
    redis: EmbeddedRedis
    smtp: SmtpServer
    db: Database
    workdir: Path

    @property
    def settings(self) -> Settings:
        return Settings.model_validate(
            {"DATABASE_URL": self.database_url, "redis_url": self.redis.url}
        )

    @property
    def broker(self) -> Celery:
        return create_celery_app(self.settings)

    def worker(self) -> WorkerProcess:
        return start_worker(
            self.workdir, self.smtp, app=self.broker,
            env={"DATABASE_URL": self.database_url, "REDIS_URL": self.redis.url},
        )  # fmt: skip


def _faults_database_url() -> str:
    url = settings.database_url
    admin = url.set(database="postgres").render_as_string(hide_password=False)
    ensure_database(admin, FAULTS_DATABASE)
    return url.set(database=FAULTS_DATABASE).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def stack_servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, EmbeddedRedis, SmtpServer, Path]]:
    database_url = _faults_database_url()
    asyncio.run(_drop_schema(Database(make_url(database_url), pool_size=1)))
    migrated = run_alembic("upgrade", "head", database_url=database_url)
    assert migrated.returncode == 0, migrated.stderr
    workdir = tmp_path_factory.mktemp("faults")
    redis = EmbeddedRedis(workdir / "redis", free_port(), persistent=False)
    redis.start()
    with running_smtp_server() as smtp:
        try:
            yield database_url, redis, smtp, workdir
        finally:
            redis.stop()


async def _drop_schema(database: Database) -> None:
    async with database.unit_of_work() as session:
        await session.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await session.execute(text("CREATE SCHEMA public"))
    await database.dispose()


@pytest.fixture
async def stack(
    stack_servers: tuple[str, EmbeddedRedis, SmtpServer, Path],
) -> AsyncIterator[Stack]:
    database_url, redis, smtp, workdir = stack_servers
    smtp.handler.messages.clear()
    smtp.handler.delay_seconds = 0.0
    db = Database(make_url(database_url), pool_size=5)
    await truncate_all(db)
    if not redis.is_running:  # a failed test may have left it stopped
        redis.start()
    try:
        yield Stack(database_url, redis, smtp, db, workdir)
    finally:
        await db.dispose()


async def delivered(smtp: SmtpServer, count: int) -> list[ReceivedMail] | None:
    return list(smtp.messages) if len(smtp.messages) >= count else None


async def count(db: Database, model: type[EmailMessage] | type[ClockifyEvent]) -> int:
    async with db.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def statuses(db: Database) -> Counter[str]:
    async with db.unit_of_work() as session:
        return Counter(await session.scalars(select(EmailMessage.status)))


async def test_webhooks_accepted_while_redis_is_down_are_all_emailed_once_it_is_back(
    stack: Stack,
) -> None:
    worker = stack.worker()
    try:
        stack.redis.stop()
        app = create_app(stack.settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="https://t") as client:
                answers = [
                    (await send(client, "end", entry(f"6650dd00dd00dd00dd00{n:04d}"))).status_code
                    for n in range(12)
                ]
            await asyncio.sleep(0.5)  # let the app's background hand-over fail
        assert answers == [202] * 12, "a Redis outage never refuses a webhook"
        assert await count(stack.db, ClockifyEvent) == 12, "every delivery is stored"
        await asyncio.sleep(2)
        assert stack.smtp.messages == [], "nothing can move while Redis is down"

        stack.redis.start()

        messages = await eventually(lambda: delivered(stack.smtp, 12), within=60)
        await asyncio.sleep(3)  # the sweepers had their chances to send one again
    finally:
        worker.stop()
    assert len(stack.smtp.messages) == 12, "none twice"
    ids = Counter(m.message["Message-ID"] for m in messages)
    assert len(ids) == 12
    assert set(ids.values()) == {1}
    assert all(sorted(m.rcpt_tos) == COORDINATION for m in messages)
    assert await statuses(stack.db) == Counter({"sent": 12})


async def test_two_workers_and_their_sweepers_racing_deliver_each_email_once(
    stack: Stack,
) -> None:
    total = 60
    async with stack.db.unit_of_work() as session:
        emails = [
            await email_service.enqueue(
                session,
                kind="started",
                recipients=["coordinacion@example.com"],
                subject=f"Sesión {n}",
                text_body=f"Correo {n}",
            )
            for n in range(total)
        ]
    expected = {email.message_id for email in emails}
    # A server that takes a moment to accept: a sender holding a row is still at it when the
    # others (and the sweepers) reach the same row.
    stack.smtp.handler.delay_seconds = 0.1
    workers = [stack.worker(), stack.worker()]  # two workers, each with its beat and sweeper
    try:
        # On top of the sweepers, every email is signalled twice, one task per email.
        broker = stack.broker
        for _ in range(2):
            for email in emails:
                broker.send_task(email_service.SEND_TASK, args=[[email.id]])
        messages = await eventually(lambda: delivered(stack.smtp, total), within=60)
        await asyncio.sleep(3)
    finally:
        for worker in workers:
            worker.stop()
    ids = Counter(m.message["Message-ID"] for m in stack.smtp.messages)
    assert set(ids) == expected
    assert max(ids.values()) == 1, f"sent twice: {[i for i, n in ids.items() if n > 1]}"
    assert len(messages) == total
    assert await statuses(stack.db) == Counter({"sent": total})
