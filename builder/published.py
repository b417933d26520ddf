"""Which version of an app serves a request: the one rule, and the compiled version it picks.

`serving_versions` is the only place that decides. Today the serving version is the newest
AppVersion; a call may pin a version by number (`number=`), which is also how a rollback
would be served: a later App field naming "the serving version" changes this one query.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from builder.graphs import get_compiled_version
from builder.models import App, AppVersion
from kernel.errors import ApiError
from kernel.ttl import TTLCache
from runtime.compile import CompiledGraph
from runtime.nodes.start import StartNode, StartVariable


@dataclass(frozen=True, slots=True)
class Published:
    app: App
    version: AppVersion
    graph: CompiledGraph

    def start_variables(self) -> list[StartVariable]:
        """The inputs the version's start node asks for (none when it has no start node)."""
        start = self.graph.start
        return list(start.config.variables) if isinstance(start, StartNode) else []


# (app id, pinned number or None) → its version. A publish in another process is served within
# this many seconds; here, at once.
published_apps: TTLCache[tuple[int, int | None], Published] = TTLCache(5.0)


def serving_versions(app_id: int, number: int | None = None) -> QuerySet[AppVersion]:
    """The app's versions that may serve, best first: `.first()` is the serving version.

    `number` pins a call to that version (empty when the app has no such version).
    """
    rows = AppVersion.objects.filter(app_id=app_id)
    if number is not None:
        rows = rows.filter(number=number)
    return rows.order_by("-number")


def get_published(app_id: int, number: int | None = None) -> Published:
    """The serving version, compiled (a database read); ApiError 400 `app_unavailable` when the
    app has none, 404 `version_not_found` when a pinned `number` does not exist."""
    version = serving_versions(app_id, number).select_related("app").first()
    if version is not None:
        return Published(version.app, version, get_compiled_version(version.pk, version.spec))
    app_exists = App.objects.filter(pk=app_id).exists()
    if not app_exists:
        raise ApiError("app_unavailable", 400, "the app no longer exists")
    if number is not None and serving_versions(app_id).exists():
        raise ApiError(
            "version_not_found", 404, f"the app has no version {number}", field="version"
        )
    raise ApiError("app_unavailable", 400, "the app has no published version; publish it first")


def forget_published(app_id: int) -> None:
    """Drop the cached serving version (after a publish or a delete in this process); pinned
    versions never change."""
    published_apps.forget((app_id, None))
