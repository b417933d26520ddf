"""One live session with one MCP server, held open by a task of its own.

The SDK's sessions live inside anyio task groups, which must be left by the task that entered
them; a pooled session outlives the run that opened it, so a task per session enters the
client, holds it until it is idle, broken or closed, and leaves it. Calls from any task of the
same event loop go through it meanwhile. A fault (the server hung up or sent something that is
not JSON-RPC) ends every call in flight at once with a typed error, and the pool opens a new
session for the next call.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass
from typing import IO, Any, TypeVar

import httpx2
from mcp import Client
from mcp.client._transport import Transport
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT
from pydantic import ValidationError

from runtime.errors import (
    EngineError,
    McpProtocolError,
    McpTimeoutError,
    McpUnavailableError,
    ToolCallFailedError,
    ToolError,
    ToolNotFoundError,
    ToolResultTooLargeError,
)
from runtime.mcp._results import read_result, tool_info
from runtime.mcp._stdio import RESULT_TOO_LARGE, MessageTooLargeError
from runtime.mcp._transport import http_client, http_transport, stdio_transport, watched
from runtime.mcp.config import HttpServer, StdioServer
from runtime.outbound import OutboundPolicy, checked_address
from runtime.resources import ToolInfo, ToolResult
from runtime.tools.arguments import ArgumentsChecker

log = logging.getLogger(__name__)
T = TypeVar("T")
GRACE_S = 1.0  # past a call's timeout, for the SDK's own timeout to answer first
CLOSE_S = 10.0  # the longest a session may take to close (the SDK bounds a stdio stop at ~6 s)
MAX_PAGES = 100  # of a tools/list walk: a server that pages forever cannot hang a call
# in the SDK's error for an SSE event over max_sse_event_size, and in ResponseTooLargeError's
_SSE_TOO_LARGE = "byte limit"


@dataclass(frozen=True, slots=True)
class Settings:
    """The pool's limits, for every session it opens."""

    connect_timeout_s: float = 30.0  # start (or reach) the server and complete the handshake
    call_timeout_s: float = 60.0  # a call or listing without a timeout of its own
    idle_s: float = 300.0  # close a session no call used for this long
    max_result_bytes: int = 8 * 1024 * 1024  # one result, unless a call asks for less


class Connection:
    """A session with one server: opened by its own task, used by calls, closed once."""

    def __init__(
        self,
        config: StdioServer | HttpServer,
        settings: Settings,
        policy: OutboundPolicy,
        on_closed: Callable[[Connection], None],
    ) -> None:
        self.config = config
        self.key = config.key
        self.label = config.label()
        self.busy = 0  # calls using it (and openers waiting for it)
        self.last_used = time.monotonic()
        self.loop = asyncio.get_running_loop()
        self._settings = settings
        self._policy = policy
        self._on_closed = on_closed
        self._closing = asyncio.Event()
        self._ready: asyncio.Future[None] = self.loop.create_future()
        self._ready.add_done_callback(_retrieve)
        self._fault: asyncio.Future[ToolError] = self.loop.create_future()
        self._client: Client | None = None
        self._tools: dict[str, ToolInfo] | None = None
        self._checkers: dict[str, ArgumentsChecker] = {}
        # what a stdio server writes on stderr, to say why it failed; closed with the session
        self._stderr: IO[str] = tempfile.TemporaryFile(  # noqa: SIM115
            "w+", encoding="utf-8", errors="replace"
        )
        self.task = asyncio.create_task(self._serve(), name=f"mcp session {self.label}")

    @property
    def usable(self) -> bool:
        """Whether calls may still use it (it is not closing, broken or closed)."""
        return not (self._closing.is_set() or self._fault.done() or self.task.done())

    async def wait_ready(self) -> None:
        """Wait until the session is open; its typed error when it could not be opened."""
        await asyncio.shield(self._ready)

    def close(self) -> None:
        """Ask the session to close (its task leaves the client and stops the server)."""
        self._closing.set()

    async def list_tools(self, timeout: float | None = None) -> list[ToolInfo]:
        """The server's tools, listed once per session (again when a call names another)."""
        if self._tools is None:
            self._tools = await self._race(self._list(), timeout, "listing its tools")
            self._checkers = {}
        return list(self._tools.values())

    async def call(
        self,
        name: str,
        arguments: Mapping[str, Any],
        timeout: float | None,
        max_bytes: int | None,
    ) -> ToolResult:
        """Check the arguments against the tool's schema, call it, read its result."""
        (await self._checker(name, timeout)).check(arguments)
        limit = min(max_bytes or self._settings.max_result_bytes, self._settings.max_result_bytes)
        seconds = timeout or self._call_timeout_s()
        client = self._open_client()
        try:
            result = await self._race(
                client.call_tool(name, dict(arguments), read_timeout_seconds=seconds),
                seconds,
                f"calling {name!r}",
            )
        except ToolResultTooLargeError as exc:  # dropped by the transport: name the tool
            raise ToolResultTooLargeError(name, exc.size, limit) from exc
        return read_result(name, result, limit)

    async def _checker(self, name: str, timeout: float | None) -> ArgumentsChecker:
        checker = self._checkers.get(name)
        if checker is not None:
            return checker
        tools = {t.name: t for t in await self.list_tools(timeout)}
        if name not in tools:  # the server may have added it since: list once more
            self._tools = None
            tools = {t.name: t for t in await self.list_tools(timeout)}
        if name not in tools:
            known = ", ".join(sorted(tools)) or "none"
            raise ToolNotFoundError(f"{self.label} has no tool {name!r} (its tools: {known})")
        checker = self._checkers[name] = ArgumentsChecker(tools[name])
        return checker

    async def _list(self) -> dict[str, ToolInfo]:
        client = self._open_client()
        tools: dict[str, ToolInfo] = {}
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page = await client.list_tools(cursor=cursor, cache_mode="bypass")
            tools.update((t.name, tool_info(t)) for t in page.tools)
            cursor = page.next_cursor
            if cursor is None:
                break
        return tools

    def _open_client(self) -> Client:
        if self._client is None or not self.usable:
            raise McpUnavailableError(f"the session with {self.label} is closed")
        return self._client

    async def _race(self, work: Awaitable[T], timeout: float | None, what: str) -> T:
        """`work`'s result, unless the session breaks or `timeout` passes first (each a typed
        error). Both cancel this very task, as asyncio.timeout does, rather than running `work`
        in a task of its own: a call costs no extra task switches. The SDK, cancelled, tells
        the server the request was abandoned."""
        seconds = timeout or self._call_timeout_s()
        task = asyncio.current_task()
        assert task is not None, "called from a task"  # noqa: S101 (asyncio guarantees it)
        active, broke = True, False

        def interrupt(_: object) -> None:
            nonlocal broke
            if active:  # a callback scheduled just before the call ended does nothing
                broke = True
                task.cancel()

        self._fault.add_done_callback(interrupt)
        try:
            async with asyncio.timeout(seconds + GRACE_S):
                return await work
        except asyncio.CancelledError:
            if not broke or task.uncancel() > 0:
                raise  # cancelled from outside: the run was stopped
            fault = self._fault.result()
            raise type(fault)(f"{fault} (while {what})") from None
        except TimeoutError:
            raise McpTimeoutError(
                f"{self.label} did not answer within {seconds:g} s ({what})"
            ) from None
        except Exception as exc:
            raise self._call_error(exc, what, seconds) from exc
        finally:
            active = False
            self._fault.remove_done_callback(interrupt)

    def _call_error(self, exc: Exception, what: str, seconds: float) -> EngineError:
        if isinstance(exc, EngineError):
            return exc
        if isinstance(exc, MCPError) and exc.error.code == REQUEST_TIMEOUT:
            return McpTimeoutError(f"{self.label} did not answer within {seconds:g} s ({what})")
        if isinstance(exc, MCPError) and exc.error.code == RESULT_TOO_LARGE:
            data = exc.error.data if isinstance(exc.error.data, dict) else {}
            return ToolResultTooLargeError(self.label, data.get("size", 0), data.get("limit", 0))
        if isinstance(exc, MCPError) and _SSE_TOO_LARGE in exc.error.message:
            # the SDK dropped an event over max_sse_event_size; the session is still good
            limit = self._max_message()
            return ToolResultTooLargeError(self.label, limit, limit)
        if isinstance(exc, MCPError) and exc.error.code == CONNECTION_CLOSED:
            self._broken(McpUnavailableError(self._hung_up()))
            return McpUnavailableError(f"{self._hung_up()} (while {what})")
        if isinstance(exc, MCPError):
            return ToolCallFailedError(f"{self.label} refused {what}: {exc.error.message}")
        if isinstance(exc, ValidationError):
            return McpProtocolError(f"{self.label} answered {what} with an invalid result: {exc}")
        return McpUnavailableError(f"{what} on {self.label} failed: {exc!r}")

    def _hung_up(self) -> str:
        return (
            f"{self.label} hung up (its process exited or it closed the connection){self._tail()}"
        )

    def _on_transport_fault(self, exc: Exception | None) -> None:
        if exc is None:
            self._broken(McpUnavailableError(self._hung_up()))
        elif isinstance(exc, MessageTooLargeError):
            self._broken(ToolResultTooLargeError(self.label, exc.size, exc.limit))
        else:
            reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            self._broken(McpProtocolError(f"{self.label} sent a line that is not MCP: {reason}"))

    def _broken(self, error: ToolError) -> None:
        if not self._fault.done():
            self._fault.set_result(error)
        self._closing.set()

    async def _serve(self) -> None:
        try:
            async with AsyncExitStack() as stack:
                self._client = await self._open(stack)
                self._ready.set_result(None)
                await self._hold()
        except asyncio.CancelledError:
            self._end(McpUnavailableError(f"the session with {self.label} was closed"))
            raise
        except Exception as exc:
            self._end(_first_engine_error(exc) or McpUnavailableError(f"{self.label}: {exc!r}"))
        else:
            self._end(McpUnavailableError(f"the session with {self.label} was closed"))
        finally:
            self._stderr.close()
            self._on_closed(self)

    def _end(self, error: EngineError) -> None:
        if not self._ready.done():
            self._ready.set_exception(error)
        self._broken(error if isinstance(error, ToolError) else McpUnavailableError(str(error)))

    async def _open(self, stack: AsyncExitStack) -> Client:
        client = Client(await self._transport(stack), cache=None)
        seconds = self._connect_timeout_s()
        try:
            async with asyncio.timeout(seconds):
                await stack.enter_async_context(client)
        except TimeoutError:
            late = f"did not complete the MCP handshake within {seconds:g} s"
            raise McpTimeoutError(f"{self.label} {late}{self._tail()}") from None
        except Exception as exc:
            found = _first_engine_error(exc)
            if found is not None:
                raise found from exc
            raise McpUnavailableError(
                f"{self.label} could not be started or reached: {_reason(exc)}{self._tail()}"
            ) from exc
        return client

    async def _transport(self, stack: AsyncExitStack) -> Transport:
        config = self.config
        if isinstance(config, StdioServer):
            return stdio_transport(
                config, self._stderr, self._max_message(), self._on_transport_fault
            )
        url = httpx2.URL(config.url)
        # Checked here too (the guarded transport checks every request) for a clear error.
        await checked_address(url.host, url.port or 443, self._policy)
        client = await stack.enter_async_context(
            http_client(config, self._policy, self._connect_timeout_s(), self._max_message())
        )
        return watched(
            http_transport(config, client, self._max_message()), self._on_transport_fault
        )

    def _connect_timeout_s(self) -> float:
        return self.config.connect_timeout_s or self._settings.connect_timeout_s

    def _call_timeout_s(self) -> float:
        return self.config.call_timeout_s or self._settings.call_timeout_s

    def _max_message(self) -> int:
        """The largest message the transport takes: a result's text comes twice when it is
        structured content too (MCP repeats it as text), JSON-escaped."""
        return 2 * self._settings.max_result_bytes + 65536

    async def _hold(self) -> None:
        """Wait until the session is closed, broken, or idle for `idle_s` with no call."""
        idle_s = self._settings.idle_s
        while not self._closing.is_set():
            left = idle_s - (time.monotonic() - self.last_used)
            if self.busy == 0 and left <= 0:
                return
            with suppress(TimeoutError):
                await asyncio.wait_for(
                    self._closing.wait(), max(left, 0.01) if self.busy == 0 else idle_s
                )

    def _tail(self) -> str:
        """The last lines the server wrote on stderr, to say why it failed."""
        if isinstance(self.config, HttpServer) or self._stderr.closed:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        text = self._stderr.read()[-1000:].strip()
        return f"; it wrote: {text}" if text else ""


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a future's exception as seen (its waiter may have given up on it)."""
    if not future.cancelled():
        future.exception()


def _first_engine_error(exc: BaseException) -> EngineError | None:
    """The first runtime error inside `exc` (anyio wraps errors of task groups in groups)."""
    if isinstance(exc, EngineError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _first_engine_error(inner)
            if found is not None:
                return found
    return None


def _reason(exc: BaseException) -> str:
    """The innermost message of an error (unwrapping anyio's groups)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return str(exc) or type(exc).__name__
