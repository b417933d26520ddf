"""The tool-source registry: sources give servers by name; names are reserved across sources."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from kernel import tool_sources
from runtime.errors import ToolCallFailedError
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


async def test_every_workspace_gets_time_calculator_and_http_under_the_outbound_setting(
    settings: Any,
) -> None:
    servers = await tool_sources.builtin_servers(1)
    assert {"time", "calculator", "http"} <= set(servers)
    assert {"time", "calculator", "http"} <= tool_sources.reserved_names()
    assert (await servers["calculator"].call_tool("calculate", {"expression": "6*7"})).text == "42"
    closed = {"method": "GET", "url": "http://127.0.0.1:9/"}  # nothing listens on port 9
    settings.WEFT_OUTBOUND_ALLOW = ""
    with pytest.raises(ToolCallFailedError, match="refused to connect"):
        await (await tool_sources.builtin_servers(1))["http"].call_tool("http_request", closed)
    settings.WEFT_OUTBOUND_ALLOW = "127.0.0.1"
    with pytest.raises(ToolCallFailedError, match="could not reach"):
        await (await tool_sources.builtin_servers(1))["http"].call_tool("http_request", closed)
