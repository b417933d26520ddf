"""The TOOLS provider: a run's tool sessions, by server name, over the workspace's enabled MCP
servers (pooled per event loop, `tools.pools`) and the built-in servers other apps register
(`kernel.tool_sources`). A built-in name wins: a workspace server may not take one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kernel.db import db_call
from kernel.tool_sources import builtin_servers
from runtime.errors import MissingResourceError
from runtime.mcp import HttpServer, McpServers, StdioServer
from runtime.resources import ToolSession
from tools.configs import server_config
from tools.models import ToolServer
from tools.pools import loop_pool

UNREADABLE = (
    "cannot be used: its secrets cannot be decrypted with this server's key "
    "(set them again on the Tools page)"
)


@dataclass(frozen=True, slots=True)
class WorkspaceTools:
    """A workspace's ToolSessions: built-in servers, then its own MCP servers."""

    builtin: Mapping[str, ToolSession]
    mcp: McpServers
    unusable: Mapping[str, str]  # name → why it cannot be used

    def get(self, server: str) -> ToolSession:
        """The session of the server named `server`; MissingResourceError saying why not."""
        if server in self.builtin:
            return self.builtin[server]
        if server in self.mcp.servers:
            return self.mcp.get(server)
        if server in self.unusable:
            raise MissingResourceError(f"the tool server {server!r} {self.unusable[server]}")
        known = ", ".join(sorted([*self.builtin, *self.mcp.servers])) or "none"
        raise MissingResourceError(
            f"this workspace has no tool server {server!r} (its servers: {known})"
        )


def enabled_configs(
    workspace_id: int,
) -> tuple[dict[str, StdioServer | HttpServer], dict[str, str]]:
    """The workspace's enabled servers' configs by name, and why each other one is unusable."""
    configs: dict[str, StdioServer | HttpServer] = {}
    unusable: dict[str, str] = {}
    for row in ToolServer.objects.filter(workspace_id=workspace_id):
        if not row.enabled:
            unusable[row.name] = "is turned off (Tools page)"
            continue
        try:
            configs[row.name] = server_config(row)
        except ValueError:
            unusable[row.name] = UNREADABLE
    return configs, unusable


async def workspace_tools(workspace_id: int) -> WorkspaceTools:
    """The TOOLS of a run in the workspace (the factory `provide(TOOLS, …)` registers)."""
    configs, unusable = await db_call(enabled_configs, workspace_id)
    builtin = await builtin_servers(workspace_id)
    mcp = loop_pool().for_servers({n: c for n, c in configs.items() if n not in builtin})
    return WorkspaceTools(builtin, mcp, unusable)
