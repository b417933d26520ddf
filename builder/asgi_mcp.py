"""Each published app as an MCP server: streamable HTTP at /mcp/server/<app slug>/mcp.

Like /v1 (builder/asgi_service.py) it skips Django's middleware: a call authenticates with the
app's API key (`Authorization: Bearer <key>`, counted against the key's rate like /v1), and the
app must have its MCP switch on. What follows is the MCP SDK's: a low-level `Server` with the
app's one tool (builder/mcp_tool.py) behind a stateless `StreamableHTTPSessionManager` made for
this request, so no session outlives it and any replica can answer the next one. JSON responses,
not SSE: a tool call answers once, when its run ends.

The SDK's low-level `Server`, not `MCPServer`: MCPServer derives a tool's schema from a Python
signature, while this tool's schema is data (the published start node), built per version.

A refusal before the SDK (no key, another app's key, the switch off) is a JSON-RPC error body
with the HTTP status, which the SDK's client shows as the call's error.
"""

from __future__ import annotations

import re
from typing import Any

import mcp_types as types
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

from builder.key_limits import check_key_rate
from builder.keys import KeyOwner
from builder.mcp_tool import call_app, error_result, tool_of
from builder.models import App
from builder.published import Published
from builder.service_api import key_owner, published_app
from kernel.bodies import BodyGuard, send_refusal
from kernel.db import db_call
from kernel.errors import ApiError
from kernel.limits import limits

PREFIX = "/mcp/server/"
PATH = PREFIX + "{slug}/mcp"  # what the portal shows; tests/security enumerates it
_PATH = re.compile(r"^/mcp/server/(?P<slug>[-a-zA-Z0-9_]+)/mcp/?$")


def mcp_url(base: str, slug: str) -> str:
    """The app's MCP endpoint under `base` (the site's root URL, no trailing slash)."""
    return base.rstrip("/") + PATH.format(slug=slug)


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _key_app_slug(app_id: int) -> str | None:
    return await db_call(App.objects.filter(pk=app_id).values_list("slug", flat=True).first)


async def served_app(scope: dict[str, Any]) -> tuple[KeyOwner, Published]:
    """The key's app that this URL serves over MCP; ApiError 401 (key), 429 (rate), 404 (not
    this app's URL, or MCP off), 400 (not published)."""
    match = _PATH.match(scope["path"])
    if match is None:
        raise ApiError("not_found", 404, f"no MCP server at {scope['path']}; try {PATH}")
    slug = match["slug"]
    owner = await key_owner(_header(scope, b"authorization"))
    await check_key_rate(owner)
    try:
        pub = await published_app(owner)
    except ApiError:
        if await _key_app_slug(owner.app_id) != slug:  # not this app's URL: say nothing more
            raise _not_this_app() from None
        raise
    if pub.app.slug != slug:
        raise _not_this_app()
    if not pub.app.mcp_enabled:
        raise ApiError(
            "mcp_disabled",
            404,
            f"the app {slug!r} is not served over MCP; an editor can switch its MCP server on "
            "on the app's page, under API access",
        )
    return owner, pub


def _not_this_app() -> ApiError:
    # names nothing: the caller learns neither whether the slug exists nor the key's own app
    return ApiError("not_found", 404, "this API key has no MCP server at this URL")


def app_server(owner: KeyOwner, pub: Published) -> Server[Any]:
    """The SDK server for one published app: tools/list shows its tool, tools/call runs it."""
    tool = tool_of(pub)

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[tool])

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        if params.name != tool.name:
            return error_result(f"unknown tool {params.name!r}; this server has {tool.name!r}")
        return await call_app(owner, pub, params.arguments or {})

    return Server(
        pub.app.slug,
        version=str(pub.version.number),
        title=pub.app.name,
        description=pub.app.description or None,
        get_tool_input_schema=lambda name: tool.input_schema if name == tool.name else None,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def _send_error(send: Any, err: ApiError) -> None:
    data = {"code": err.code, "status": err.status}  # the coded error, as /v1 answers it
    error = types.ErrorData(code=types.INVALID_REQUEST, message=err.message, data=data)
    body = types.JSONRPCError(jsonrpc="2.0", id=None, error=error).model_dump_json(
        by_alias=True, exclude_unset=True
    )
    content = body.encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(content)).encode()),
        (b"connection", b"close"),  # its body was never read
        *((k.lower().encode(), v.encode()) for k, v in err.headers.items()),
    ]
    await send({"type": "http.response.start", "status": err.status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


class MCPHandler:
    """ASGI app for /mcp/server/: checks the limits, the key and the app, then hands the
    request to the SDK."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Serve one HTTP request of an app's MCP endpoint."""
        max_body = limits().max_body_bytes
        guard = BodyGuard(scope, receive, max_body)
        if guard.refusal is not None:
            await send_refusal(send, guard.refusal)
            return
        try:
            owner, pub = await served_app(scope)
        except ApiError as err:
            await _send_error(send, err)
            return
        manager = StreamableHTTPSessionManager(
            app_server(owner, pub),
            stateless=True,
            json_response=True,
            max_request_body_size=max_body,
        )
        async with manager.run():
            await manager.handle_request(scope, guard.receive, send)
