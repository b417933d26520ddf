"""Every route, by enumeration, against the callers who must be refused.

Routes come from tests/security/routes.py (URL confs and OpenAPI documents), so a new route is
checked without anyone writing a test for it. Path parameters point at workspace A's objects;
the callers are: anonymous, the owner of another workspace B, a viewer of A writing, and on /v1
no key, an unknown key, A's revoked key and B's key. Nobody ever gets a 5xx, a server path or a
traceback; nobody outside A sees A's data; a refused write leaves A's rows as they were.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from tests.security.routes import (
    Route,
    admin_urls,
    api_document,
    django_patterns,
    http_routes,
    undocumented_api_patterns,
    v1_document,
    websocket_routes,
)
from tests.security.world import SECRET, World, example, make_world

# Routes anyone may call (their answers are still checked for leaks and 5xx).
PUBLIC = {
    "/login/": "the sign-in form",
    "/logout/": "signing out",
    "/healthz": "the liveness probe",
    "/favicon.ico": "the site icon (a redirect to a static file)",
    "/api/": "ninja's API root",
    "/api/openapi.json": "the editor API's OpenAPI document",
    "/api/docs": "the editor API's docs page",
    "/v1/openapi.json": "the published API's OpenAPI document",
    "/admin/login/": "the admin sign-in form",
    "/admin/logout/": "signing out of the admin",
    "/invitations/{token}/": "an invitation link: its token is the credential (accepting it "
    "needs the invited email's account or a new one for that email)",
}
# Public routes that show workspace A's name to whoever holds the link (the invitee's page).
SHOWN_TO_LINK_HOLDERS = {"/invitations/{token}/"}
# Non-GET routes a viewer may call: they change nothing of the workspace's.
VIEWER_MAY_WRITE = {
    ("POST", "/api/apps/{app_id}/validate"): "reports on a spec, saves nothing",
    ("POST", "/api/knowledge-bases/{kb_id}/search"): "searches a knowledge base, saves nothing",
    ("POST", "/login/"): "signing in",
    ("POST", "/logout/"): "signing out",
    ("POST", "/workspaces/switch/"): "switches the viewer's own current workspace",
    ("POST", "/workspaces/new/"): "creates a workspace of the viewer's own",
}
# Failures that belong to findings fixed on other branches: strict xfails, removed when fixed.
KNOWN_OPEN: dict[tuple[str, str, str], str] = {}
PARAM_NAMES = {
    "workspace_id",
    "app_id",
    "number",
    "run_id",
    "task_id",
    "key_id",
    "conversation_id",
    "dataset_id",
    "job_id",
    "adapter_id",
    "member_id",
    "invitation_id",
    "kb_id",
    "doc_id",
    "chunk_id",
    "token",
    "slug",
    "server_id",
    "provider_name",
}
REFUSED = {403, 404, 405}
ROUTES = http_routes()
DOCUMENTS = {"api": api_document(), "v1": v1_document()}


def _cases(
    actors: tuple[str, ...], kinds: tuple[str, ...], keep: Callable[[Route], bool] = bool
) -> list[Any]:
    cases = []
    for route in ROUTES:
        if route.kind not in kinds or not keep(route):
            continue
        for actor in actors:
            reason = KNOWN_OPEN.get((actor, route.method, route.template))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(actor, route, marks=marks, id=f"{actor}:{route}"))
    return cases


@pytest.fixture
def world(make_member: Any, make_app: Any) -> World:
    """Workspace A with one of everything, and B's owner."""
    return make_world(make_member, make_app)


def assert_clean(body: bytes, status: int, *, secret: bool) -> None:
    """No 5xx, no server path, no traceback; with `secret`, none of A's data either."""
    text = body.decode(errors="replace")
    assert status < 500, text[:500]
    for leak in (str(settings.BASE_DIR), str(settings.DATA_DIR), "Traceback"):
        assert leak not in text, f"{leak!r} in {text[:500]}"
    if secret:
        assert SECRET not in text, text[:500]


def body_of(response: Any) -> bytes:
    """The whole body of a test client response, streamed or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def _query_and_body(route: Route, world: World) -> tuple[dict[str, Any], Any, str]:
    """Query parameters, body and content type for a route, aimed at workspace A."""
    params = world.params
    if route.kind == "mcp":  # one JSON-RPC request, as the MCP client sends it
        return {}, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, "application/json"
    if route.kind == "page":
        form = {"name": "made", "email": world.owner_b.user.email, "role": "admin"}
        return {}, {**form, "workspace_id": params["workspace_id"], "mode": "chat"}, "form"
    document, op = DOCUMENTS[route.kind], route.operation
    query = {
        p["name"]: params.get(p["name"], example(p.get("schema", {}), document, params))
        for p in op.get("parameters", [])
        if p["in"] == "query" and (p.get("required") or p["name"] in params)
    }
    content = op.get("requestBody", {}).get("content", {})
    for kind in ("application/json", "multipart/form-data"):
        if kind in content:
            return query, example(content[kind]["schema"], document, params), kind
    return query, None, ""


def call(client: Client, route: Route, world: World) -> Any:
    """Call a page or /api route with the Django test client."""
    path = route.template.format(**world.params)
    query, body, kind = _query_and_body(route, world)
    if query:
        path += "?" + urlencode(query)
    if kind in ("form", "multipart/form-data") and route.method == "POST":
        return client.post(path, body)
    if kind == "multipart/form-data":  # a PUT of files (a knowledge base's test set)
        multipart = encode_multipart(BOUNDARY, body)
        return client.generic(route.method, path, multipart, content_type=MULTIPART_CONTENT)
    data = json.dumps(body) if kind == "application/json" else ""
    return client.generic(route.method, path, data, content_type="application/json")


def _is_login_redirect(response: Any) -> bool:
    location = str(response.headers.get("Location", ""))
    redirect = response.status_code == 302
    return bool(redirect) and location.startswith((settings.LOGIN_URL, "/admin/"))


def _touches_a(route: Route, world: World) -> bool:
    query, body, _ = _query_and_body(route, world)
    in_body = isinstance(body, dict) and "workspace_id" in body and route.kind != "page"
    return bool(route.params) or "workspace_id" in query or in_body


def test_every_route_parameter_has_a_value() -> None:
    """A new path parameter needs an object of workspace A in tests/security/world.py."""
    unknown = {(str(r), p) for r in ROUTES for p in r.params if p not in PARAM_NAMES}
    unknown |= {(t, p) for t in websocket_routes() for p in Route("WS", t, "ws").params}
    assert {u for u in unknown if u[1] not in PARAM_NAMES} == set()


def test_every_api_pattern_is_documented() -> None:
    """No ninja route hides from the OpenAPI document (and so from these tests and the fuzzer)."""
    assert undocumented_api_patterns() <= set(PUBLIC)


def test_tables_name_existing_routes() -> None:
    """Entries for routes that are gone go too."""
    templates = {r.template for r in ROUTES} | {t for t, _ in django_patterns()}
    assert set(PUBLIC) <= templates
    assert set(PUBLIC) >= SHOWN_TO_LINK_HOLDERS
    assert {t for _, t in VIEWER_MAY_WRITE} <= templates
    assert {(m, t) for _, m, t in KNOWN_OPEN} <= {(r.method, r.template) for r in ROUTES}


@pytest.mark.parametrize(("actor", "route"), _cases(("anonymous",), ("page", "api")))
def test_route_refuses_anonymous(actor: str, route: Route, world: World) -> None:
    before = world.fingerprint()
    response = call(Client(), route, world)
    secret = route.template not in SHOWN_TO_LINK_HOLDERS
    assert_clean(body_of(response), response.status_code, secret=secret)
    if route.template not in PUBLIC:
        assert response.status_code in {401, 403} or _is_login_redirect(response), (
            response.status_code
        )
    assert world.fingerprint() == before


@pytest.mark.parametrize(("actor", "route"), _cases(("other",), ("page", "api")))
def test_route_refuses_other_workspace(actor: str, route: Route, world: World) -> None:
    client = Client()
    client.force_login(world.owner_b.user)
    before = world.fingerprint()
    response = call(client, route, world)
    secret = route.template not in SHOWN_TO_LINK_HOLDERS
    assert_clean(body_of(response), response.status_code, secret=secret)
    if _touches_a(route, world) and route.template not in PUBLIC:
        assert response.status_code in REFUSED, response.status_code
    assert world.fingerprint() == before


@pytest.mark.parametrize(
    ("actor", "route"), _cases(("viewer",), ("page", "api"), lambda r: r.method != "GET")
)
def test_route_refuses_viewer_writes(actor: str, route: Route, world: World) -> None:
    client = Client()
    client.force_login(world.viewer_a.user)
    before = world.fingerprint()
    response = call(client, route, world)
    assert_clean(body_of(response), response.status_code, secret=False)
    allowed = (route.method, route.template) in VIEWER_MAY_WRITE
    if not allowed and route.kind != "page":
        assert response.status_code in REFUSED, response.status_code
    if not allowed and route.kind == "page":
        assert not 200 <= response.status_code < 300, response.status_code
    assert world.fingerprint() == before


@pytest.mark.parametrize(
    ("actor", "route"),
    _cases(("owner",), ("page", "api"), lambda r: r.method == "GET"),
)
def test_route_serves_the_owner(actor: str, route: Route, world: World) -> None:
    """The control: A's owner reaches A's objects, so the refusals above are about the caller;
    and even the owner is shown no server path."""
    client = Client()
    client.force_login(world.owner_a.user)
    response = call(client, route, world)
    assert_clean(body_of(response), response.status_code, secret=False)
    if route.template in SHOWN_TO_LINK_HOLDERS:  # the invitee's page: the owner is not them
        assert response.status_code == 403, response.status_code
        return
    assert response.status_code not in {401, 403, 404}, response.content[:300]


@pytest.mark.parametrize("actor", ["anonymous", "other"])
def test_admin_refuses_non_staff(actor: str, world: World) -> None:
    client = Client()
    if actor == "other":
        client.force_login(world.owner_b.user)
    for url in set(admin_urls()) - set(PUBLIC):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert_clean(body_of(response), response.status_code, secret=True)
            assert _is_login_redirect(response), (method, url, response.status_code)


V1_KEYS: dict[str, Callable[[World], str | None]] = {
    "no_key": lambda w: None,
    "unknown_key": lambda w: "app-not-a-key",
    "revoked_key": lambda w: w.revoked_key_a,
    "other_key": lambda w: w.key_b,
}


async def call_v1(route: Route, world: World, key: str | None) -> httpx.Response:
    """Call a /v1 or MCP route through Weft's ASGI application (the lean handlers)."""
    from portal.asgi import application

    query, body, _ = await sync_to_async(_query_and_body)(route, world)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        return await client.request(
            route.method,
            route.template.format(**world.params),
            params=query,
            json=body,
            headers=headers,
            timeout=60,
        )


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("actor", "route"), _cases(tuple(V1_KEYS), ("v1", "mcp")))
async def test_v1_route_refuses_bad_keys(actor: str, route: Route, world: World) -> None:
    response = await call_v1(route, world, V1_KEYS[actor](world))
    assert_clean(body_of(response), response.status_code, secret=True)
    if route.template in PUBLIC:
        return
    if actor == "other_key":
        if route.params:
            assert response.status_code == 404, response.status_code
    else:
        assert response.status_code == 401, response.status_code


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("actor", ["anonymous", "other", "viewer", "editor"])
@pytest.mark.parametrize("template", websocket_routes())
async def test_websocket_refuses_all_but_editors(template: str, actor: str, world: World) -> None:
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator
    from django.contrib.auth.models import AnonymousUser

    from portal.routing import websocket_urlpatterns

    users = {"anonymous": AnonymousUser(), "other": world.owner_b.user}
    communicator = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns), template.format(**world.params)
    )
    users = {**users, "viewer": world.viewer_a.user, "editor": world.editor_a.user}
    communicator.scope["user"] = users[actor]
    connected, _ = await communicator.connect(timeout=10)
    if connected:
        await communicator.disconnect()
    assert connected == (actor == "editor")  # the editor is the control: the path is right
