"""The newest published version of an app, compiled, cached briefly per process."""

from __future__ import annotations

from dataclasses import dataclass

from builder.graphs import get_compiled_version
from builder.models import App, AppVersion
from kernel.errors import ApiError
from kernel.ttl import TTLCache
from runtime.compile import CompiledGraph


@dataclass(frozen=True, slots=True)
class Published:
    app: App
    version: AppVersion
    graph: CompiledGraph


# A publish in another process is served within this many seconds; here, at once.
published_apps: TTLCache[int, Published] = TTLCache(5.0)


def get_published(app_id: int) -> Published:
    """The app's newest version (a database read); ApiError 400 `app_unavailable` when none."""
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
    return Published(version.app, version, get_compiled_version(version.pk, version.spec))


def forget_published(app_id: int) -> None:
    """Drop the cached entry (after a publish or a delete in this process)."""
    published_apps.forget(app_id)
