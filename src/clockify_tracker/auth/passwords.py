"""Argon2id password hashing, off the event loop (a hash costs tens of milliseconds and 64 MiB),
with a bound on how many run at once: a flood of logins must not take the CPU, the memory or
the database connections the rest of the service needs."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from clockify_tracker.exceptions import ServiceUnavailableError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_PASSWORD_LENGTH = 10
BUSY = "Hay demasiados inicios de sesión en este momento; inténtalo en unos segundos"

# One semaphore per event loop (an asyncio primitive belongs to the loop it first waits on).
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


@asynccontextmanager
async def hashing_slot(limit: int, wait_seconds: float) -> AsyncIterator[None]:
    """At most `limit` holders at once in this process; a caller that waits longer than
    `wait_seconds` gets 503 with Retry-After instead of queueing without end."""
    loop = asyncio.get_running_loop()
    semaphore = _slots.get(loop)
    if semaphore is None:
        semaphore = _slots[loop] = asyncio.Semaphore(limit)
    try:
        await asyncio.wait_for(semaphore.acquire(), wait_seconds)
    except TimeoutError:
        raise ServiceUnavailableError(BUSY, headers={"Retry-After": "2"}) from None
    try:
        yield
    finally:
        semaphore.release()


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    """False for a wrong password and for a missing account (`password_hash=None`)."""
    return await asyncio.to_thread(_verify, password_hash, password)
