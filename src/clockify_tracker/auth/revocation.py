"""The Redis denylist: revoked access tokens (by jti) and sessions (by family), each kept
only as long as a token it covers could still be presented."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError

from clockify_tracker.exceptions import ServiceUnavailableError
from clockify_tracker.kit.time import utcnow

_JTI = "auth:deny:jti:{}"
_FAMILY = "auth:deny:family:{}"


def _unavailable() -> ServiceUnavailableError:
    return ServiceUnavailableError("La autenticación no está disponible; inténtalo en un momento")


async def is_revoked(redis: Redis, jti: uuid.UUID, family_id: uuid.UUID) -> bool:
    """Fails closed: when Redis cannot answer, the token is not accepted (503)."""
    try:
        found = await redis.exists(_JTI.format(jti), _FAMILY.format(family_id))
    except (RedisError, OSError):
        raise _unavailable() from None
    return bool(found)


async def revoke(
    redis: Redis,
    *,
    access_jti: uuid.UUID | None,
    access_expires_at: datetime | None,
    family_id: uuid.UUID | None,
    access_lifetime: timedelta,
) -> None:
    try:
        async with redis.pipeline(transaction=False) as pipe:
            if access_jti is not None and access_expires_at is not None:
                ttl = max(1, int((access_expires_at - utcnow()).total_seconds()) + 1)
                pipe.set(_JTI.format(access_jti), 1, ex=ttl)
            if family_id is not None:
                # Any access token of the family was issued at most one lifetime ago.
                pipe.set(_FAMILY.format(family_id), 1, ex=int(access_lifetime.total_seconds()) + 1)
            await pipe.execute()
    except (RedisError, OSError):
        raise _unavailable() from None
