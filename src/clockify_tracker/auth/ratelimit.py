"""Failed-login limits per account and per client address, counted in Redis."""

from __future__ import annotations

import contextlib
import hashlib

from redis.asyncio import Redis
from redis.exceptions import RedisError

from clockify_tracker.config import Settings
from clockify_tracker.exceptions import AppError, ServiceUnavailableError


class TooManyAttemptsError(AppError):
    status_code = 429
    code = "too_many_requests"


def _keys(email: str, address: str) -> tuple[str, str]:
    # Hashed: keys in Redis should not hold people's addresses.
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"auth:login:fail:account:{account}", f"auth:login:fail:address:{address}"


class LoginLimiter:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self._redis = redis
        self._per_account = settings.login_max_failures_per_account
        self._per_address = settings.login_max_failures_per_address
        self._window = settings.login_failure_window_seconds

    async def check(self, email: str, address: str) -> None:
        """429 while either limit is reached, even for the right password (else the limit
        would not stop guessing)."""
        account_key, address_key = _keys(email, address)
        try:
            account_failures, address_failures = await self._redis.mget(account_key, address_key)
            if (
                int(account_failures or 0) >= self._per_account
                or int(address_failures or 0) >= self._per_address
            ):
                retry_after = max(
                    await self._redis.ttl(account_key), await self._redis.ttl(address_key), 1
                )
                raise TooManyAttemptsError(
                    f"Demasiados intentos fallidos; inténtalo de nuevo en {retry_after} segundos",
                    headers={"Retry-After": str(retry_after)},
                )
        except (RedisError, OSError):
            raise ServiceUnavailableError(
                "El inicio de sesión no está disponible; inténtalo en un momento"
            ) from None

    async def record_failure(self, email: str, address: str) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in _keys(email, address):
                    pipe.incr(key)
                    pipe.expire(key, self._window, nx=True)
                await pipe.execute()
        except (RedisError, OSError):
            pass  # the check before the next attempt fails closed anyway

    async def record_success(self, email: str) -> None:
        account_key, _ = _keys(email, "")
        with contextlib.suppress(RedisError, OSError):
            await self._redis.delete(account_key)


class RegistrationLimiter:
    """Sign-ups per client address within the login window, counted before the attempt: the
    count and the decision are one atomic INCR, so concurrent attempts cannot slip past it."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self._redis = redis
        self._limit = settings.registration_max_per_address
        self._window = settings.login_failure_window_seconds

    async def count_attempt(self, address: str) -> None:
        key = f"auth:register:address:{address}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, self._window, nx=True)
                pipe.ttl(key)
                attempts, _, ttl = await pipe.execute()
        except (RedisError, OSError):
            raise ServiceUnavailableError(
                "El registro no está disponible; inténtalo en un momento"
            ) from None
        if int(attempts) > self._limit:
            retry_after = max(int(ttl), 1)
            raise TooManyAttemptsError(
                f"Demasiados registros desde esta dirección; inténtalo de nuevo en "
                f"{retry_after} segundos",
                headers={"Retry-After": str(retry_after)},
            )
