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
MIN_ADMINISTRATOR_PASSWORD_LENGTH = 12
# Words people use as their whole password; refused whatever digits or symbols surround them
# ("Password2024!", "qwerty123456"). Keyboard runs and repeats are caught by shape below.
_COMMON_WORDS = frozenset(
    (
        "password",
        "passw0rd",
        "contrasena",
        "contraseña",
        "clave",
        "secreto",
        "secret",
        "admin",
        "administrador",
        "administrator",
        "qwerty",
        "qwertyuiop",
        "asdfghjkl",
        "zxcvbnm",
        "letmein",
        "welcome",
        "bienvenido",
        "iloveyou",
        "teamo",
        "monkey",
        "dragon",
        "master",
        "sunshine",
        "princess",
        "football",
        "futbol",
        "abc",
        "abcdef",
        "abcdefg",
        "abcdefghij",
        "changeme",
        "cambiame",
        "default",
        "usuario",
        "user",
        "test",
        "prueba",
        "clockify",
        "mexico",
        "",
    )
)
_RUNS = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm")
BUSY = "Hay demasiados inicios de sesión en este momento; inténtalo en unos segundos"

# One semaphore per event loop (an asyncio primitive belongs to the loop it first waits on).
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def password_problem(password: str, *, administrator: bool) -> str | None:
    """Why a new password is refused (a Spanish sentence), or None when it will do."""
    minimum = MIN_ADMINISTRATOR_PASSWORD_LENGTH if administrator else MIN_PASSWORD_LENGTH
    if len(password) < minimum:
        who = "de un administrador " if administrator else ""
        return f"La contraseña {who}debe tener al menos {minimum} caracteres"
    folded = password.strip().lower()
    core = folded.strip("0123456789!@#$%^&*()-_=+.,;:?¡¿ ")
    if len(set(folded)) < 4:
        return "La contraseña no puede ser un carácter o unos pocos repetidos"
    runs = [run * 3 for run in _RUNS] + [run[::-1] * 3 for run in _RUNS]
    if core in _COMMON_WORDS or any(folded in run or (core and core in run) for run in runs):
        return "La contraseña es demasiado común o predecible; usa una frase o más palabras"
    return None


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
