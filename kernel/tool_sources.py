"""The tool-source registry: built-in tool servers that feature apps offer every workspace.

The tools app provides the TOOLS resource (`runtime.resources.ToolSessions`): a workspace's own
MCP servers, plus every server a registered source gives. Other feature apps offer tools without
knowing of the tools app or of each other: in their AppConfig.ready() they call
`register_tool_source(name, source)`, e.g. rag offers "knowledge" (search the workspace's
knowledge bases) and builder "apps" (each published app of the workspace as a tool).

A source is a function of a workspace id returning its servers by name, each a
`runtime.resources.ToolSession` (it may be async when it reads the database, as resource
factories may). Server names are what a tool node's `server` and an agent's tools name, so a
source's names are reserved: a workspace's MCP server may not take one (`reserved_names`).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping

from runtime.resources import ToolSession

Servers = Mapping[str, ToolSession]
ToolSource = Callable[[int], Servers | Awaitable[Servers]]

_sources: dict[str, ToolSource] = {}
_names: dict[str, frozenset[str]] = {}


def register_tool_source(name: str, source: ToolSource, servers: frozenset[str]) -> None:
    """Add a source of built-in tool servers (call it from an AppConfig.ready()); `servers`
    names the servers it gives, reserved in every workspace."""
    if _sources.get(name, source) is not source:
        raise ValueError(f"tool source {name!r} is already registered")
    taken = {s for other, names in _names.items() if other != name for s in names}
    if clash := servers & taken:
        raise ValueError(f"tool servers {sorted(clash)} are already given by another source")
    _sources[name] = source
    _names[name] = servers


def reserved_names() -> frozenset[str]:
    """The server names registered sources give (a workspace's own server may not take one)."""
    return frozenset(s for names in _names.values() for s in names)


async def builtin_servers(workspace_id: int) -> dict[str, ToolSession]:
    """Every registered source's servers for the workspace, by server name."""
    found: dict[str, ToolSession] = {}
    for source in _sources.values():
        servers = source(workspace_id)
        if inspect.isawaitable(servers):
            servers = await servers
        found.update(servers)
    return found
