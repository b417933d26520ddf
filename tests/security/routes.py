"""Every HTTP and WebSocket route of Weft, found by walking the URL confs and OpenAPI documents.

Nothing here lists routes by hand: a route added to portal/urls.py, the ninja API, builder/urls.py
or portal/routing.py shows up in `http_routes()` / `websocket_routes()` by itself; the apps' MCP
endpoint (an ASGI handler, not a URL pattern) comes from builder/asgi_mcp.py's PATH.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
PAGE_METHODS = ("GET", "POST")


@dataclass(frozen=True)
class Route:
    """One method on one path template (`/api/apps/{app_id}`)."""

    method: str
    template: str
    kind: str  # "page", "api", "admin", "v1" or "mcp"
    operation: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def params(self) -> list[str]:
        """The template's path parameters."""
        return re.findall(r"{(\w+)}", self.template)

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


def _walk(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            found.append((route, pattern))
    return found


def template_of(route: str) -> str:
    """`apps/<int:app_id>/` as `/apps/{app_id}/`."""
    return "/" + _CONVERTER.sub(r"{\1}", route)


def django_patterns() -> list[tuple[str, URLPattern]]:
    """(template, pattern) of every Django URL pattern, admin's and ninja's included."""
    return [(template_of(r), p) for r, p in _walk(get_resolver().url_patterns)]


def api_document() -> dict[str, Any]:
    """The /api OpenAPI document (ninja's)."""
    from portal.api import api

    return dict(api.get_openapi_schema())


def v1_document() -> dict[str, Any]:
    """The /v1 OpenAPI document."""
    from builder.v1_openapi import get_v1_openapi

    return get_v1_openapi()


def _operations(document: dict[str, Any], kind: str) -> list[Route]:
    return [
        Route(method.upper(), path, kind, op)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
    ]


def v1_routes() -> list[Route]:
    """Every /v1 route: documented methods, or GET and POST for an undocumented pattern."""
    from builder.urls import urlpatterns

    routes = _operations(v1_document(), "v1")
    documented = {r.template for r in routes}
    for pattern in urlpatterns:
        template = "/v1" + template_of(str(pattern.pattern))
        if template not in documented:
            routes += [Route(m, template, "v1") for m in PAGE_METHODS]
    return routes


def mcp_routes() -> list[Route]:
    """The apps' MCP endpoint: streamable HTTP's POST, GET and DELETE."""
    from builder.asgi_mcp import PATH

    return [Route(m, PATH, "mcp") for m in ("POST", "GET", "DELETE")]


def http_routes() -> list[Route]:
    """Every page, ninja operation, /v1 and MCP route (admin's are in `admin_urls`)."""
    routes = _operations(api_document(), "api")
    for template, _ in django_patterns():
        if not template.startswith(("/api/", "/admin/")):
            routes += [Route(m, template, "page") for m in PAGE_METHODS]
    return routes + v1_routes() + mcp_routes()


def undocumented_api_patterns() -> set[str]:
    """Django URL patterns under /api/ that are not an operation of the OpenAPI document."""
    documented = set(api_document()["paths"])
    return {t for t, _ in django_patterns() if t.startswith("/api/")} - documented


def admin_urls() -> list[str]:
    """A concrete URL for every admin pattern (object ids 1, an app label for the app lists)."""
    urls = []
    for template, pattern in django_patterns():
        if not template.startswith("/admin/"):
            continue
        if isinstance(pattern.pattern, RegexPattern):
            urls.append("/admin/portal/" if pattern.name else "/admin/no-such-page/")
        else:
            urls.append(re.sub(r"{\w+}", "1", template))
    return urls


def websocket_routes() -> list[str]:
    """Every WebSocket path template of portal/routing.py (every app's routes)."""
    from portal.routing import websocket_urlpatterns

    return [template_of(r) for r, _ in _walk(websocket_urlpatterns)]
