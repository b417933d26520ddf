"""The tool-source registry: sources give servers by name; names are reserved across sources."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from kernel import tool_sources
from runtime.resources import ToolInfo, ToolResult


class Echo:
    """A one-tool session."""

    async def list_tools(self) -> list[ToolInfo]:
        return [ToolInfo("echo")]

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any],
        *,
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> ToolResult:
        return ToolResult(text=str(arguments))


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    before = dict(tool_sources._sources), dict(tool_sources._names)
    yield
    tool_sources._sources.clear()
    tool_sources._sources.update(before[0])
    tool_sources._names.clear()
    tool_sources._names.update(before[1])


async def test_builtin_servers_gathers_every_source_sync_and_async() -> None:
    echo = Echo()

    async def later(workspace_id: int) -> dict[str, Echo]:
        return {f"ws{workspace_id}": echo}

    tool_sources.register_tool_source("a", lambda ws: {"clock": echo}, frozenset({"clock"}))
    tool_sources.register_tool_source("b", later, frozenset({"ws7"}))
    servers = await tool_sources.builtin_servers(7)
    assert {"clock", "ws7"} <= set(servers)
    assert {"clock", "ws7"} <= tool_sources.reserved_names()


def test_a_server_name_two_sources_give_is_refused() -> None:
    tool_sources.register_tool_source("a", lambda ws: {}, frozenset({"clock"}))
    with pytest.raises(ValueError, match="clock"):
        tool_sources.register_tool_source("b", lambda ws: {}, frozenset({"clock"}))
    with pytest.raises(ValueError, match="already registered"):
        tool_sources.register_tool_source("a", lambda ws: {}, frozenset())
