"""The HTTP request tool: one request to a URL through the outbound guard, its answer as data.

It is the HTTP request node's request in tool form and shares its plumbing
(`runtime.nodes._http`): every request and redirect hop passes `runtime.outbound`'s guard with
the policy the server was built with, the body is read in pieces and refused past the limit,
and httpx's exceptions become typed errors. A 4xx or 5xx answer is a result like any other: the
caller reads its status.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpx

from runtime.errors import (
    HttpResponseTooLargeError,
    HttpTimeoutError,
    ToolArgumentsError,
    ToolResultTooLargeError,
    ToolTimeoutError,
)
from runtime.nodes._http import decode_text, header_dict, read_bounded, typed_errors, url_problem
from runtime.outbound import OutboundPolicy, guarded_client
from runtime.resources import ToolResult
from runtime.tools.builtin import BuiltinTool, object_schema, tool_result

TOOL = "http_request"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
MAX_RESPONSE_BYTES = 256 * 1024  # the body is in the result twice (text and structured)
MAX_REDIRECTS = 5
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110's token


def _headers(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    """The headers to send (UTF-8); ToolArgumentsError naming a bad one."""
    for name, value in headers.items():
        where = f"headers.{name}"
        if not _HEADER_NAME.match(name):
            raise ToolArgumentsError(TOOL, where, "is not a header name (letters, digits, -)")
        if "\r" in value or "\n" in value:
            raise ToolArgumentsError(TOOL, where, "holds a line break")
    return [(k.encode(), v.encode()) for k, v in headers.items()]


def http_request_tool(
    policy: OutboundPolicy,
    *,
    timeout_s: float = 30.0,
    max_response_bytes: int = MAX_RESPONSE_BYTES,
) -> BuiltinTool:
    """The tool, reaching only what `policy` allows, reading at most `max_response_bytes`."""

    async def http_request(
        method: str, url: str, headers: Mapping[str, str] | None = None, body: str | None = None
    ) -> ToolResult:
        url = url.strip()
        if problem := url_problem(url):
            raise ToolArgumentsError(TOOL, "url", f"{url!r} {problem}")
        sent = _headers(headers or {})
        timeout = httpx.Timeout(timeout_s)
        async with guarded_client(
            policy, timeout=timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS
        ) as client:
            request = client.build_request(
                method, url, headers=sent, content=None if body is None else body.encode()
            )
            try:
                async with typed_errors(request.url, timeout):
                    response = await client.send(request, stream=True)
                    try:
                        raw = b"" if method == "HEAD" else await _read(response, max_response_bytes)
                    finally:
                        await response.aclose()
            except HttpTimeoutError as exc:
                raise ToolTimeoutError(f"tool {TOOL!r}: {exc}") from None
        text = decode_text(raw, response)
        status = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
        return tool_result(
            f"{status}\n\n{text}" if text else status,
            {
                "status_code": response.status_code,
                "headers": header_dict(response.headers),
                "body": text,
            },
        )

    return BuiltinTool(
        TOOL,
        "Send an HTTP request to a URL; the answer's status, headers and body come back.",
        object_schema(
            {
                "method": {"type": "string", "enum": list(METHODS)},
                "url": {"type": "string", "description": "An http(s) URL", "maxLength": 2048},
                "headers": {
                    "type": "object",
                    "description": "Request headers by name",
                    "additionalProperties": {"type": "string"},
                },
                "body": {"type": "string", "description": "The request body, as text"},
            },
            ["method", "url"],
        ),
        http_request,
    )


async def _read(response: httpx.Response, limit: int) -> bytes:
    try:
        return await read_bounded(response, limit)
    except HttpResponseTooLargeError:
        raise ToolResultTooLargeError(TOOL, limit + 1, limit) from None
