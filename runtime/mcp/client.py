"""The MCP client the runtime uses: a pool of live sessions, one per server config.

`McpPool` keeps one session per distinct server config (keyed by a hash of the whole config),
reused by every run that calls that server, closed when idle, and reopened on the next call
after the server crashed or hung up. `pool.session(config)` is a `ToolSession`;
`pool.for_servers({name: config})` is the `ToolSessions` a run is given as its TOOLS. A pool
serves one event loop; `aclose()` (or leaving `async with pool`) stops every server it started.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from runtime.errors import MissingResourceError
from runtime.mcp._connection import CLOSE_S, Connection, Settings
from runtime.mcp.config import HttpServer, StdioServer
from runtime.outbound import STRICT, OutboundPolicy
from runtime.resources import ToolInfo, ToolResult, ToolSession, ToolSessions

ServerConfig = StdioServer | HttpServer


class McpPool:
    """Live MCP sessions by server config, shared by the runs of one event loop."""

    def __init__(
        self,
        *,
        policy: OutboundPolicy = STRICT,
        connect_timeout_s: float = 30.0,
        call_timeout_s: float = 60.0,
        idle_s: float = 300.0,
        max_result_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        self.policy = policy
        self.settings = Settings(connect_timeout_s, call_timeout_s, idle_s, max_result_bytes)
        self.opened = 0  # sessions opened so far (a restart after a crash counts)
        self._live: dict[str, Connection] = {}

    def session(self, config: ServerConfig) -> PooledSession:
        """The ToolSession of one server; it opens (or reuses) the pooled session per call."""
        return PooledSession(self, config)

    def for_servers(self, servers: Mapping[str, ServerConfig]) -> McpServers:
        """The ToolSessions of a workspace's servers, by the names it gave them."""
        return McpServers(self, dict(servers))

    def live(self) -> int:
        """How many sessions are open or opening."""
        return sum(1 for c in self._live.values() if c.usable)

    async def acquire(self, config: ServerConfig) -> Connection:
        """The open session for `config` (opened now if there is none, or it broke), counted
        as busy until `release`; the session's typed error when it cannot be opened."""
        key = config.key
        loop = asyncio.get_running_loop()
        conn = self._live.get(key)
        if conn is None or not conn.usable or conn.loop is not loop:
            if conn is not None and conn.loop is loop:
                conn.close()  # broken: its task cleans up; a new session takes its place
            conn = Connection(config, self.settings, self.policy, self._forget)
            self._live[key] = conn
            self.opened += 1
        conn.busy += 1
        try:
            await conn.wait_ready()
        except BaseException:
            self.release(conn)
            raise
        return conn

    def release(self, conn: Connection) -> None:
        """A call is done with `conn`: its idle time starts again."""
        conn.busy -= 1
        conn.last_used = time.monotonic()

    def _forget(self, conn: Connection) -> None:
        if self._live.get(conn.key) is conn:
            del self._live[conn.key]

    async def aclose(self) -> None:
        """Close every session and stop every server this pool started (this event loop's)."""
        loop = asyncio.get_running_loop()
        conns = [c for c in self._live.values() if c.loop is loop]
        for conn in conns:
            conn.close()
        tasks = [c.task for c in conns]
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=CLOSE_S)
        for task in late:  # a server that will not stop: cancel its session (the SDK kills it)
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=CLOSE_S)

    async def __aenter__(self) -> McpPool:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


@dataclass(frozen=True, slots=True)
class PooledSession:
    """A ToolSession over the pool's session for one server config."""

    pool: McpPool
    config: ServerConfig

    async def list_tools(self) -> list[ToolInfo]:
        """The server's tools (name, description, input JSON Schema)."""
        conn = await self.pool.acquire(self.config)
        try:
            return await conn.list_tools()
        finally:
            self.pool.release(conn)

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any],
        *,
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> ToolResult:
        """Call a tool on the pooled session (see `ToolSession.call_tool`)."""
        conn = await self.pool.acquire(self.config)
        try:
            return await conn.call(name, arguments, timeout, max_bytes)
        finally:
            self.pool.release(conn)


@dataclass(frozen=True, slots=True)
class McpServers:
    """ToolSessions over named server configs, all through one pool."""

    pool: McpPool
    servers: Mapping[str, ServerConfig]

    def get(self, server: str) -> PooledSession:
        """The session of the server named `server`."""
        try:
            return self.pool.session(self.servers[server])
        except KeyError:
            raise MissingResourceError(f"this workspace has no tool server {server!r}") from None


if TYPE_CHECKING:  # mypy checks that both follow their protocols
    _checks: tuple[ToolSessions, ToolSession] = (
        McpServers(McpPool(), {}),
        PooledSession(McpPool(), StdioServer(command="true")),
    )
