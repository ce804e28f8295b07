"""API keys (stored as SHA-256 hashes; the secret is shown once) and per-key rate limits.

A key's id (`key_...`) owns the videos and characters made with it; no other key can see them.
Secrets carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import or_, select

from phonofilm.server.errors import ApiError
from phonofilm.server.store import ApiKey, Store

SECRET_PREFIX = "pf-"
LOCAL_OWNER = "key_local"  # owner of everything when the server runs without keys


def hash_secret(secret: str) -> str:
    """Hex SHA-256 of a key secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(store: Store, name: str, rate_limit_per_minute: int | None = None) -> tuple[ApiKey, str]:
    """Create a key called `name`; return its row and the secret (the only time it is available)."""
    if not name.strip() or len(name) > 200:
        raise ValueError(f"a key name must be 1-200 characters, got {name!r}")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=f"key_{secrets.token_hex(12)}",
        name=name,
        prefix=secret[:10],
        secret_sha256=hash_secret(secret),
        created_at=time.time(),
        rate_limit_per_minute=rate_limit_per_minute,
    )
    with store.write() as session:
        session.add(key)
    return key, secret


def list_keys(store: Store) -> list[ApiKey]:
    """Every key, oldest first (revoked ones included, marked by `revoked_at`)."""
    with store.read() as session:
        return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at)))


def revoke_key(store: Store, key_id_or_name: str) -> list[str]:
    """Revoke the key(s) with this id or name; return the ids revoked (empty if none matched)."""
    with store.write() as session:
        keys = session.scalars(
            select(ApiKey).where(
                or_(ApiKey.id == key_id_or_name, ApiKey.name == key_id_or_name), ApiKey.revoked_at.is_(None)
            )
        ).all()
        for key in keys:
            key.revoked_at = time.time()
        return [k.id for k in keys]


@dataclass(frozen=True)
class Caller:
    """Who is calling: the owning key id and its request budget per minute."""

    key_id: str
    rate_limit_per_minute: int


def authenticate(store: Store, authorization: str | None, default_limit: int) -> Caller:
    """The caller for an `Authorization: Bearer <key>` header; 401 in OpenAI's words otherwise."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise ApiError(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization header "
            "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). Create one with `phonofilm keys create`.",
            code="missing_api_key",
        )
    secret = authorization[7:].strip()
    with store.read() as session:
        key = session.scalar(select(ApiKey).where(ApiKey.secret_sha256 == hash_secret(secret)))
    if key is None or key.revoked_at is not None:
        shown = secret[:6] + "*" * max(0, min(len(secret) - 10, 20)) + secret[-4:] if len(secret) > 10 else "***"
        raise ApiError(401, f"Incorrect API key provided: {shown}.", code="invalid_api_key")
    return Caller(key.id, key.rate_limit_per_minute or default_limit)


class RateLimiter:
    """Token buckets per key, refilled continuously: `limit` requests per minute, bursts up to `limit`.

    Held by one API process; with N processes behind a balancer a key gets up to N times its limit.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, last refill time)

    def check(self, caller: Caller) -> None:
        """Spend one token, or raise 429 with `retry-after` (whole seconds until the next token)."""
        limit = caller.rate_limit_per_minute
        if limit <= 0:
            return
        rate = limit / 60.0  # tokens per second
        with self._lock:
            now = time.monotonic()
            tokens, last = self._buckets.get(caller.key_id, (float(limit), now))
            tokens = min(float(limit), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[caller.key_id] = (tokens - 1.0, now)
                return
            self._buckets[caller.key_id] = (tokens, now)
            wait = (1.0 - tokens) / rate
        raise ApiError(
            429,
            f"Rate limit reached for key {caller.key_id}: {limit} requests per minute. "
            f"Please try again in {wait:.1f}s.",
            code="rate_limit_exceeded",
            headers={"retry-after": str(max(1, math.ceil(wait))), "retry-after-ms": str(math.ceil(wait * 1000))},
        )
