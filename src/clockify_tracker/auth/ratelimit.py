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


# One atomic step counts the attempt against both limits and decides: concurrent attempts
# each see their own count, so no more than the limit ever reach the password hash.
_COUNT_ATTEMPT = """
local account = redis.call('INCR', KEYS[1])
if account == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
local address = redis.call('INCR', KEYS[2])
if address == 1 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
if account > tonumber(ARGV[1]) or address > tonumber(ARGV[2]) then
    return math.max(redis.call('TTL', KEYS[1]), redis.call('TTL', KEYS[2]), 1)
end
return 0
"""


class LoginLimiter:
    """Every attempt is counted before the password is checked; a success takes its own
    attempt back and clears the account's count, so only failures accumulate."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self._redis = redis
        self._per_account = settings.login_max_failures_per_account
        self._per_address = settings.login_max_failures_per_address
        self._window = settings.login_failure_window_seconds

    async def count_attempt(self, email: str, address: str) -> None:
        """429 once either limit is reached, even for the right password (else the limit
        would not stop guessing); 503 when Redis cannot answer (fail closed)."""
        try:
            retry_after = int(
                await self._redis.eval(
                    _COUNT_ATTEMPT,
                    2,
                    *_keys(email, address),
                    self._per_account,
                    self._per_address,
                    self._window,
                )
            )
        except (RedisError, OSError):
            raise ServiceUnavailableError(
                "El inicio de sesión no está disponible; inténtalo en un momento"
            ) from None
        if retry_after:
            raise TooManyAttemptsError(
                f"Demasiados intentos fallidos; inténtalo de nuevo en {retry_after} segundos",
                headers={"Retry-After": str(retry_after)},
            )

    async def record_success(self, email: str, address: str) -> None:
        account_key, address_key = _keys(email, address)
        with contextlib.suppress(RedisError, OSError):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(account_key)
                pipe.decr(address_key)
                await pipe.execute()


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
