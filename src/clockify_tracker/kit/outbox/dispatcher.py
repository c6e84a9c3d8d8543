"""Writing outbox rows and handing them to Celery once their transaction has committed."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from celery import Celery
from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.kit.db import Database
from clockify_tracker.kit.outbox import repository
from clockify_tracker.kit.outbox.repository import JobRef

log = logging.getLogger(__name__)

_PENDING_KEY = "outbox_pending"
CONNECT_TIMEOUT_SECONDS = 2.0


async def add_job(
    session: AsyncSession, task: str, payload: dict[str, Any], *, max_attempts: int = 5
) -> int:
    """Write a job in the caller's transaction; it is handed to Celery only after commit."""
    job_id = await repository.insert_job(session, task, payload, max_attempts)
    session.info.setdefault(_PENDING_KEY, []).append(JobRef(id=job_id, task=task))
    return job_id


def take_pending(session: AsyncSession) -> list[JobRef]:
    """The jobs this session wrote; call after commit. Emptied so they are sent once."""
    jobs: list[JobRef] = session.info.pop(_PENDING_KEY, [])
    return jobs


class Publisher(Protocol):
    def __call__(self, job: JobRef) -> None: ...


class CeleryPublisher:
    """Sends `task(outbox_id)` to the broker, failing fast: a lost send is the sweeper's job."""

    def __init__(self, app: Celery) -> None:
        self._app = app

    def __call__(self, job: JobRef) -> None:
        with self._app.producer_or_acquire() as producer:
            # `retry=False` covers only the publish: left alone, Celery retries the connection
            # itself for minutes. One attempt, then the error; a lost send is the sweeper's.
            producer.connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=CONNECT_TIMEOUT_SECONDS
            )
            self._app.send_task(
                job.task, args=[job.id], countdown=job.countdown, producer=producer, retry=False
            )


class OutboxDispatcher:
    """Publishes committed jobs from a single background thread and records the hand-over.

    The broker client is blocking, so it never runs on the event loop; one thread keeps the
    broker connection single-owner. A failed publish is logged and left for the sweeper."""

    def __init__(self, database: Database, publisher: Publisher) -> None:
        self._database = database
        self._publisher = publisher
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-publish")
        self._in_flight: set[asyncio.Task[list[int]]] = set()

    def dispatch_soon(self, jobs: list[JobRef]) -> None:
        """Fire and forget, so a response never waits on the broker."""
        if not jobs:
            return
        task = asyncio.get_running_loop().create_task(self.dispatch(jobs))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def publish(self, jobs: list[JobRef]) -> list[int]:
        """Hand jobs to the broker; returns the ids it accepted."""
        if not jobs:
            return []
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._publish_all, jobs)

    async def dispatch(self, jobs: list[JobRef]) -> list[int]:
        """Publish and record the hand-over, so the sweeper leaves these rows alone."""
        sent = await self.publish(jobs)
        if sent:
            try:
                async with self._database.unit_of_work() as session:
                    await repository.mark_dispatched(session, sent)
            except Exception:
                # The jobs are on the queue; at worst the sweeper sends them again later.
                log.warning("could not record outbox hand-over", exc_info=True)
        return sent

    def _publish_all(self, jobs: list[JobRef]) -> list[int]:
        sent: list[int] = []
        for job in jobs:
            try:
                self._publisher(job)
            except Exception as exc:
                log.warning(
                    "outbox publish failed; the sweeper will re-send",
                    extra={"outbox_id": job.id, "task": job.task, "error": type(exc).__name__},
                )
                # The broker is likely down: do not wait on it again for the rest.
                break
            sent.append(job.id)
        return sent

    async def aclose(self) -> None:
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        self._executor.shutdown(wait=True)
