"""Writing outbox rows and handing them to Celery once their transaction has committed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from celery import Celery
from sqlalchemy.ext.asyncio import AsyncSession

from clockify_tracker.kit.db import Database
from clockify_tracker.kit.outbox import repository
from clockify_tracker.kit.outbox.repository import JobRef

log = logging.getLogger(__name__)

_PENDING_KEY = "outbox_pending"
_SIGNALS_KEY = "outbox_signals"
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


@dataclass(frozen=True)
class TaskSignal:
    """A nudge sent after commit to a task whose work is already durable in its own table
    (which has its own sweeper): nothing is recorded about the send. Signals to one task are
    coalesced: the task receives a list of keys."""

    task: str
    key: Any


def signal_after_commit(session: AsyncSession, task: str, key: Any) -> None:
    signal = TaskSignal(task, key)
    signals: list[TaskSignal] = session.info.setdefault(_SIGNALS_KEY, [])
    if signal not in signals:
        signals.append(signal)


def take_signals(session: AsyncSession) -> list[TaskSignal]:
    signals: list[TaskSignal] = session.info.pop(_SIGNALS_KEY, [])
    return signals


Call = tuple[str, list[Any], float | None]  # task, args, countdown


class Publisher(Protocol):
    def send_many(self, calls: list[Call]) -> int:
        """Send in order; how many the broker accepted before the first failure (logged)."""
        ...


class CeleryPublisher:
    """Sends `task(outbox_id)` to the broker, failing fast: a lost send is the sweeper's job."""

    def __init__(self, app: Celery) -> None:
        self._app = app

    def send_many(self, calls: list[Call]) -> int:
        """One producer and one connection check for the whole batch: a message then costs
        what Celery needs to build and push it, not a connection round trip."""
        sent = 0
        try:
            with self._app.producer_or_acquire() as producer:
                # `retry=False` covers only the publish: left alone, Celery retries the
                # connection itself for minutes. One attempt, then the error.
                producer.connection.ensure_connection(
                    max_retries=1, interval_start=0, interval_step=0,
                    timeout=CONNECT_TIMEOUT_SECONDS,
                )  # fmt: skip
                for task, args, countdown in calls:
                    self._app.send_task(
                        task, args=args, countdown=countdown, producer=producer, retry=False
                    )
                    sent += 1
        except Exception as exc:
            log.warning(
                "publish failed; the sweeper will re-send",
                extra={"error": type(exc).__name__, "sent": sent, "of": len(calls)},
            )
        return sent


class OutboxDispatcher:
    """Publishes committed jobs from a single background thread and records the hand-over.

    The broker client is blocking, so it never runs on the event loop; one thread keeps the
    broker connection single-owner. A failed publish is logged and left for the sweeper."""

    # How long signals wait to be sent together: under load, one message carries many keys.
    SIGNAL_BATCH_SECONDS = 0.02

    def __init__(self, database: Database, publisher: Publisher) -> None:
        self._database = database
        self._publisher = publisher
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-publish")
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._signal_buffer: dict[str, list[Any]] = {}
        self._flush_pending = False

    def after_commit(self, session: AsyncSession) -> None:
        """Hand over what a committed session wrote, in the background, so a response never
        waits on the broker: its outbox jobs (recorded) and its task signals (not)."""
        jobs, signals = take_pending(session), take_signals(session)
        if jobs:
            self._background(self.dispatch(jobs))
        for signal in signals:
            self.signal_soon(signal)

    def signal_soon(self, signal: TaskSignal) -> None:
        """Send a signal for work already committed, batched with others for a moment."""
        self._signal_buffer.setdefault(signal.task, []).append(signal.key)
        if not self._flush_pending:
            self._flush_pending = True
            asyncio.get_running_loop().call_later(
                self.SIGNAL_BATCH_SECONDS, lambda: self._background(self._flush_signals())
            )

    async def _flush_signals(self) -> None:
        self._flush_pending = False
        buffered, self._signal_buffer = self._signal_buffer, {}
        await self.signal(
            [TaskSignal(task, key) for task, keys in buffered.items() for key in keys]
        )

    async def hand_over(self, session: AsyncSession) -> None:
        """The same, awaited: for worker tasks, whose event loop stops running between tasks,
        so work left in the background would wait for the process's next task."""
        jobs, signals = take_pending(session), take_signals(session)
        await self.dispatch(jobs)
        if signals:
            await self.signal(signals)

    def _background(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def signal(self, signals: list[TaskSignal]) -> int:
        """Send now, one message per task with all its keys; returns the keys sent."""
        keys_by_task: dict[str, list[Any]] = {}
        for signal in signals:
            keys = keys_by_task.setdefault(signal.task, [])
            if signal.key not in keys:
                keys.append(signal.key)
        calls: list[tuple[str, list[Any], float | None]] = [
            (task, [keys], None) for task, keys in keys_by_task.items()
        ]
        loop = asyncio.get_running_loop()
        sent = await loop.run_in_executor(self._executor, self._send_all, calls)
        return sum(len(calls[index][1][0]) for index in sent)

    async def signal_each(self, task: str, keys: list[Any], per_message: int = 1) -> int:
        """Messages of at most `per_message` keys, in order, for work that must spread over
        worker slots (script runs); returns the keys sent."""
        if not keys:
            return 0
        chunks = [keys[i : i + per_message] for i in range(0, len(keys), per_message)]
        calls: list[Call] = [(task, [chunk], None) for chunk in chunks]
        loop = asyncio.get_running_loop()
        sent = await loop.run_in_executor(self._executor, self._send_all, calls)
        return sum(len(chunks[index]) for index in sent)

    async def publish(self, jobs: list[JobRef]) -> list[int]:
        """Hand jobs to the broker; returns the ids it accepted."""
        if not jobs:
            return []
        loop = asyncio.get_running_loop()
        calls = [(job.task, [job.id], job.countdown) for job in jobs]
        sent = await loop.run_in_executor(self._executor, self._send_all, calls)
        return [jobs[index].id for index in sent]

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

    def _send_all(self, calls: list[Call]) -> list[int]:
        """Indexes of the calls the broker accepted; stops at the first failure (the broker
        is likely down: do not wait on it again for the rest)."""
        return list(range(self._publisher.send_many(calls)))

    async def aclose(self) -> None:
        if self._signal_buffer:
            await self._flush_signals()
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        self._executor.shutdown(wait=True)
