"""The newest published version of an app, compiled, cached briefly per process."""

from __future__ import annotations

import time
from dataclasses import dataclass

from builder.errors import ApiError
from builder.graphs import get_compiled_version
from builder.models import App, AppVersion
from runtime.compile import CompiledGraph

_TTL_S = 5.0  # a publish in another process is served within this many seconds


@dataclass(frozen=True, slots=True)
class Published:
    app: App
    version: AppVersion
    graph: CompiledGraph


_cache: dict[int, tuple[float, Published]] = {}


def peek_published(app_id: int) -> Published | None:
    """The cached entry while it is fresh, without I/O."""
    hit = _cache.get(app_id)
    return hit[1] if hit is not None and time.monotonic() - hit[0] < _TTL_S else None


def get_published(app_id: int) -> Published:
    """The app's newest version; ApiError 400 `app_unavailable` when nothing is published."""
    now = time.monotonic()
    if (hit := peek_published(app_id)) is not None:
        return hit
    version = (
        AppVersion.objects.filter(app_id=app_id).select_related("app").order_by("-number").first()
    )
    if version is None:
        app_exists = App.objects.filter(pk=app_id).exists()
        raise ApiError(
            "app_unavailable",
            400,
            "the app has no published version; publish it first"
            if app_exists
            else "the app no longer exists",
        )
    published = Published(version.app, version, get_compiled_version(version.pk, version.spec))
    _cache[app_id] = (now, published)
    return published


def forget_published(app_id: int) -> None:
    """Drop the cached entry (after a publish or a delete in this process)."""
    _cache.pop(app_id, None)
