"""App API keys: created once and shown once, stored as SHA-256, looked up fast, revocable."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from builder.errors import ApiError
from builder.models import ApiKey, App
from portal.models import User

KEY_PREFIX = "app-"
_CACHE_S = 60
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """What a valid key grants: one app, in one workspace."""

    key_id: int
    app_id: int
    workspace_id: int


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _cache_key(key_hash: str) -> str:
    return f"weft:apikey:{key_hash}"


def do_create_api_key(app: App, name: str, user: User | None) -> tuple[ApiKey, str]:
    """Create a key for `app`; returns the row and the full key, which is never stored."""
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        app=app, name=name, prefix=raw[:10], key_hash=_hash(raw), created_by=user
    )
    return key, raw


def do_revoke_api_key(key: ApiKey) -> None:
    """Revoke a key at once (the lookup cache entry is dropped too)."""
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    cache.delete(_cache_key(key.key_hash))
    _local.pop(key.key_hash, None)


_local: dict[str, tuple[float, KeyOwner]] = {}
_LOCAL_S = 5.0  # a revocation in another process takes effect within this time


def peek_key_owner(authorization: str | None) -> KeyOwner | None:
    """The owner from this process's recent lookups, without I/O; None when not known."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    hit = _local.get(_hash(authorization[7:].strip()))
    return hit[1] if hit is not None and time.monotonic() - hit[0] < _LOCAL_S else None


def get_key_owner(authorization: str | None) -> KeyOwner:
    """The app a `Bearer <key>` header grants; ApiError 401 when missing, unknown or revoked."""
    if not authorization or not authorization.startswith("Bearer "):
        raise ApiError("unauthorized", 401, "missing 'Authorization: Bearer <app key>' header")
    key_hash = _hash(authorization[7:].strip())
    cached = cache.get(_cache_key(key_hash))
    if cached is None:
        row = (
            ApiKey.objects.filter(key_hash=key_hash)
            .values("id", "app_id", "app__workspace_id", "revoked_at", "last_used_at")
            .first()
        )
        if row is None:
            raise ApiError("invalid_api_key", 401, "the API key is not valid")
        if row["revoked_at"] is not None:
            raise ApiError("revoked_api_key", 401, "the API key has been revoked")
        cached = KeyOwner(row["id"], row["app_id"], row["app__workspace_id"])
        cache.set(_cache_key(key_hash), cached, _CACHE_S)
        _touch(row["id"], row["last_used_at"])
    _local[key_hash] = (time.monotonic(), cached)
    return cached  # type: ignore[no-any-return]  # only KeyOwner values are cached here


def _touch(key_id: int, last_used: object) -> None:
    now = timezone.now()
    if last_used is None or now - last_used > _TOUCH_EVERY:  # type: ignore[operator]  # datetime
        ApiKey.objects.filter(id=key_id).update(last_used_at=now)
