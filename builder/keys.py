"""App API keys: created once and shown once, stored as SHA-256, looked up fast, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from builder.models import ApiKey, App
from kernel.errors import ApiError
from kernel.models import User
from kernel.ttl import TTLCache

KEY_PREFIX = "app-"
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """What a valid key grants: one app, in one workspace."""

    key_id: int
    app_id: int
    workspace_id: int


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def do_create_api_key(app: App, name: str, user: User | None) -> tuple[ApiKey, str]:
    """Create a key for `app`; returns the row and the full key, which is never stored."""
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        app=app, name=name, prefix=raw[:10], key_hash=_hash(raw), created_by=user
    )
    return key, raw


def do_revoke_api_key(key: ApiKey) -> None:
    """Revoke a key at once in this process (other processes see it within the cache TTL)."""
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    key_owners.forget(key.key_hash)


# A revocation made in another process takes effect there within this many seconds.
key_owners: TTLCache[str, KeyOwner] = TTLCache(5.0)


def key_hash_of(authorization: str | None) -> str:
    """The SHA-256 of the key in a `Bearer <key>` header; ApiError 401 when there is none."""
    if not authorization or not authorization.startswith("Bearer "):
        raise ApiError("unauthorized", 401, "missing 'Authorization: Bearer <app key>' header")
    return _hash(authorization[7:].strip())


def get_key_owner(key_hash: str) -> KeyOwner:
    """The app a key grants (a database read); ApiError 401 when unknown or revoked."""
    row = (
        ApiKey.objects.filter(key_hash=key_hash)
        .values("id", "app_id", "app__workspace_id", "revoked_at", "last_used_at")
        .first()
    )
    if row is None:
        raise ApiError("invalid_api_key", 401, "the API key is not valid")
    if row["revoked_at"] is not None:
        raise ApiError("revoked_api_key", 401, "the API key has been revoked")
    now = timezone.now()
    if row["last_used_at"] is None or now - row["last_used_at"] > _TOUCH_EVERY:
        ApiKey.objects.filter(id=row["id"]).update(last_used_at=now)
    return KeyOwner(row["id"], row["app_id"], row["app__workspace_id"])
