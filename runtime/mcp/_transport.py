"""The transports a pooled session opens: a child process over stdio with a clean environment,
or streamable HTTP through the SSRF guard; and a watch on what the server sends."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import IO

import anyio
import httpx
import httpx2
from mcp.client._transport import Transport, TransportStreams
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.message import SessionMessage

from runtime.errors import McpUnavailableError
from runtime.mcp import _stdio
from runtime.mcp.config import HttpServer, StdioServer
from runtime.outbound import OutboundPolicy, checked_address

# The SDK keeps the GET event stream of a streamable HTTP session open this long between events.
SSE_READ_TIMEOUT_S = 300.0


def stdio_transport(
    config: StdioServer,
    errlog: IO[str],
    max_line: int,
    on_fault: Callable[[Exception | None], None],
) -> Transport:
    """The stdio transport running `config`'s command with only its configured environment
    and PATH (the worker's own unless configured), nothing else of the worker's (its secrets).
    McpUnavailableError when the command is not found, before anything starts."""
    path = config.env.get("PATH", os.environ.get("PATH", os.defpath))
    command = shutil.which(config.command, path=path)
    if command is None:
        raise McpUnavailableError(
            f"the MCP server's command {config.command!r} was not found "
            f"(looked in PATH={path}): check the command, or install it on the worker"
        )
    if config.cwd is not None and not os.path.isdir(config.cwd):
        raise McpUnavailableError(f"the MCP server's working directory {config.cwd!r} is missing")
    env = {**config.env, "PATH": path}
    argv = [command, *config.args]
    return _stdio.stdio_transport(argv, env, config.cwd, errlog, max_line, on_fault)


class ResponseTooLargeError(httpx2.StreamError):
    """A JSON response over the limit (its message says "byte limit", as the SDK's own does
    for an SSE event over max_sse_event_size)."""


class _Limited(httpx2.AsyncByteStream):
    """A response body that stops with ResponseTooLargeError past `limit` bytes."""

    def __init__(self, inner: httpx2.AsyncByteStream, limit: int) -> None:
        self._inner = inner
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._inner:
            seen += len(chunk)
            if seen > self._limit:
                raise ResponseTooLargeError(f"The response exceeded the {self._limit} byte limit.")
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class _GuardedTransport(httpx2.AsyncBaseTransport):
    """httpx2 (the SDK's HTTP client) through the outbound guard: each request's host is
    checked and its address pinned, as `runtime.outbound.GuardedTransport` does for httpx.
    A JSON response (one message) is bounded like an SSE event: the SDK reads it whole."""

    def __init__(self, policy: OutboundPolicy, max_message: int) -> None:
        self.policy = policy
        self._max_message = max_message
        self._inner = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """Refuse a forbidden destination; otherwise send to the checked address."""
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            address = await checked_address(url.host, port, self.policy)
        except httpx.ConnectError as exc:
            raise httpx2.ConnectError(str(exc), request=request) from exc
        if address is not None:
            request = httpx2.Request(
                request.method,
                url.copy_with(host=address),
                headers=request.headers,  # keeps Host: the original name
                stream=request.stream,
                extensions={**request.extensions, "sni_hostname": url.host},
            )
        response = await self._inner.handle_async_request(request)
        json = response.headers.get("content-type", "").startswith("application/json")
        if not json or not isinstance(response.stream, httpx2.AsyncByteStream):
            return response
        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            stream=_Limited(response.stream, self._max_message),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._inner.aclose()


def http_client(
    config: HttpServer, policy: OutboundPolicy, timeout: float, max_message: int
) -> httpx2.AsyncClient:
    """The guarded httpx2 client of one streamable HTTP session (the caller closes it).
    Proxies from the environment are ignored: they would connect past the check."""
    return httpx2.AsyncClient(
        transport=_GuardedTransport(policy, max_message),
        headers=dict(config.headers),
        timeout=httpx2.Timeout(timeout, read=SSE_READ_TIMEOUT_S),
        trust_env=False,
    )


def http_transport(
    config: HttpServer, client: httpx2.AsyncClient, max_event_bytes: int
) -> Transport:
    """The SDK's streamable HTTP transport over `client`; an event (one message) larger than
    `max_event_bytes` is refused by the SDK before it is parsed."""
    return streamable_http_client(
        config.url, http_client=client, max_sse_event_size=max_event_bytes
    )


@asynccontextmanager
async def watched(
    transport: Transport, on_fault: Callable[[Exception | None], None]
) -> AsyncIterator[TransportStreams]:
    """`transport` with its incoming messages passed on through one more stream, so the pool
    learns at once when the server hangs up (`on_fault(None)`) or sends something that is not
    JSON-RPC (`on_fault(exc)`), instead of the next call waiting out its timeout. (The stdio
    transport, ours, reports these itself.)"""
    async with transport as (read, write):
        send, receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)

        async def pump() -> None:
            async with send:
                async for item in read:
                    if isinstance(item, Exception):
                        on_fault(item)
                    await send.send(item)
            on_fault(None)

        async with anyio.create_task_group() as tg:
            tg.start_soon(pump)
            try:
                yield receive, write
            finally:
                tg.cancel_scope.cancel()
