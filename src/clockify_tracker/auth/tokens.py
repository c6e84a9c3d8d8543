"""Signed JWTs for the browser: short access tokens and single-use refresh tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import jwt

from clockify_tracker.config import Settings
from clockify_tracker.exceptions import UnauthorizedError
from clockify_tracker.kit.time import utcnow

ALGORITHM = "HS256"
TokenType = Literal["access", "refresh"]


@dataclass(frozen=True)
class IssuedToken:
    value: str
    jti: uuid.UUID
    family_id: uuid.UUID
    expires_at: datetime


@dataclass(frozen=True)
class TokenClaims:
    account_id: int
    jti: uuid.UUID
    family_id: uuid.UUID
    expires_at: datetime
    raw: dict[str, Any]


class TokenCodec:
    def __init__(self, settings: Settings) -> None:
        self._key = settings.jwt_secret.get_secret_value()
        self._issuer = settings.jwt_issuer
        self._lifetimes: dict[TokenType, timedelta] = {
            "access": timedelta(minutes=settings.access_token_minutes),
            "refresh": timedelta(days=settings.refresh_token_days),
        }

    def lifetime(self, token_type: TokenType) -> timedelta:
        return self._lifetimes[token_type]

    def issue(
        self,
        token_type: TokenType,
        account_id: int,
        family_id: uuid.UUID,
        extra_claims: dict[str, Any] | None = None,
    ) -> IssuedToken:
        now = utcnow()
        jti = uuid.uuid4()
        expires_at = now + self._lifetimes[token_type]
        claims: dict[str, Any] = {
            **(extra_claims or {}),
            "iss": self._issuer,
            "sub": str(account_id),
            "typ": token_type,
            "jti": str(jti),
            "fam": str(family_id),
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
        }
        return IssuedToken(jwt.encode(claims, self._key, ALGORITHM), jti, family_id, expires_at)

    def decode(self, token: str, token_type: TokenType) -> TokenClaims:
        """Verified claims, or 401: wrong key, `alg: none`, expired, malformed, wrong type."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                options={"require": ["exp", "iat", "iss", "sub", "jti", "typ", "fam"]},
            )
            if claims["typ"] != token_type:
                raise jwt.InvalidTokenError("wrong token type")
            return TokenClaims(
                account_id=int(claims["sub"]),
                jti=uuid.UUID(claims["jti"]),
                family_id=uuid.UUID(claims["fam"]),
                expires_at=datetime.fromtimestamp(claims["exp"], tz=utcnow().tzinfo),
                raw=claims,
            )
        except jwt.ExpiredSignatureError:
            raise UnauthorizedError("La sesión expiró; inicia sesión de nuevo") from None
        except (jwt.InvalidTokenError, ValueError, KeyError, TypeError):
            raise UnauthorizedError("Token inválido") from None
