"""The MCP pool over streamable HTTP, against an SDK server the test starts on 127.0.0.1: the
outbound guard refuses it until the policy allows loopback; then structured content, a call
past its timeout, a 50 MB result and a tool that raises each end as they should."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from runtime.errors import (
    McpTimeoutError,
    McpUnavailableError,
    OutboundRefusedError,
    ToolResultTooLargeError,
)
from runtime.mcp import HttpServer, McpPool
from runtime.outbound import OutboundPolicy
from tests.runtime.mcp_servers import free_port, http_server


@pytest.fixture(scope="module")
def server() -> Iterator[HttpServer]:
    with http_server() as config:
        yield config


@pytest.fixture
async def pool() -> AsyncIterator[McpPool]:
    loopback = OutboundPolicy.from_entries(["127.0.0.1"])
    async with McpPool(policy=loopback, connect_timeout_s=30, call_timeout_s=30) as pool:
        yield pool


async def test_mcp_http_is_refused_on_loopback_by_the_strict_policy(server: HttpServer) -> None:
    async with McpPool() as strict:
        with pytest.raises(OutboundRefusedError, match="loopback"):
            await strict.session(server).list_tools()


async def test_mcp_http_returns_structured_content(pool: McpPool, server: HttpServer) -> None:
    session = pool.session(server.model_copy(update={"headers": {"X-Weft": "1"}}))
    assert "add" in {t.name for t in await session.list_tools()}
    result = await session.call_tool("add", {"a": 40, "b": 2})
    assert result.structured_content == {"total": 42, "terms": [40, 2]}
    assert '"total": 42' in result.text
    again = await session.call_tool("echo", {"text": "pooled"})
    assert again.text == "pooled"
    assert pool.opened == 1


async def test_mcp_http_call_past_its_timeout_is_a_timeout(
    pool: McpPool, server: HttpServer
) -> None:
    session = pool.session(server)
    with pytest.raises(McpTimeoutError, match=r"did not answer within 0\.5 s"):
        await session.call_tool("sleep", {"seconds": 30}, timeout=0.5)
    assert (await session.call_tool("echo", {"text": "after"})).text == "after"


async def test_mcp_http_50_mb_result_is_refused(pool: McpPool, server: HttpServer) -> None:
    session = pool.session(server)
    with pytest.raises(ToolResultTooLargeError, match=r"'big' returned .* over the limit"):
        await session.call_tool("big", {"megabytes": 50}, max_bytes=1024 * 1024)
    assert (await session.call_tool("echo", {"text": "after"})).text == "after"


async def test_mcp_http_tool_that_raises_is_an_error_result(
    pool: McpPool, server: HttpServer
) -> None:
    result = await pool.session(server).call_tool("boom", {})
    assert result.is_error
    assert "boom" in result.text


async def test_mcp_http_server_that_is_not_there_is_unavailable(pool: McpPool) -> None:
    gone = HttpServer(url=f"http://127.0.0.1:{free_port()}/mcp")
    with pytest.raises(McpUnavailableError, match="could not be started or reached"):
        await pool.session(gone).list_tools()
