"""The MCP pool over stdio: one session per server config reused across calls and runs, closed
when idle and at shutdown, reopened after a crash; each failure a typed error within its limits."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from runtime.errors import (
    McpProtocolError,
    McpTimeoutError,
    McpUnavailableError,
    ToolArgumentsError,
    ToolNotFoundError,
    ToolResultTooLargeError,
)
from runtime.mcp import McpPool, StdioServer
from tests.runtime.mcp_servers import faulty, raw


@pytest.fixture
async def pool() -> AsyncIterator[McpPool]:
    async with McpPool(connect_timeout_s=60, call_timeout_s=30) as pool:
        yield pool


def starts(path: Path) -> list[int]:
    """The pids of the server processes started so far (each start writes one line)."""
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def eventually(check: object, within_s: float = 20.0) -> None:
    """Wait until `check()` is true (a condition reached in the background)."""
    for _ in range(int(within_s / 0.05)):
        if check():  # type: ignore[operator]  # a callable returning bool
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the condition did not hold in time")


async def test_mcp_pool_reuses_one_session_across_calls_and_runs(
    pool: McpPool, tmp_path: Path
) -> None:
    log = tmp_path / "starts"
    config = faulty(STARTS_FILE=str(log))
    first = await pool.session(config).call_tool("add", {"a": 2, "b": 3})
    assert first.structured_content == {"total": 5, "terms": [2, 3]}
    assert not first.is_error
    again = pool.for_servers({"calc": faulty(STARTS_FILE=str(log))}).get("calc")  # a later run
    results = await asyncio.gather(*(again.call_tool("echo", {"text": str(i)}) for i in range(5)))
    assert [r.text for r in results] == ["0", "1", "2", "3", "4"]
    assert len(starts(log)) == 1
    assert pool.opened == 1


async def test_mcp_pool_gives_the_server_only_its_own_environment(
    pool: McpPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEFT_TEST_SECRET", "s3cret")
    result = await pool.session(faulty(API_TOKEN="t")).call_tool("env_names", {})
    names = set(result.structured_content["result"])
    # Python itself adds LC_CTYPE when it starts under the C locale (PEP 538)
    assert names - {"LC_CTYPE"} == {"API_TOKEN", "PATH"}


async def test_mcp_pool_closes_an_idle_session_and_opens_another(tmp_path: Path) -> None:
    log = tmp_path / "starts"
    async with McpPool(connect_timeout_s=60, idle_s=0.2) as pool:
        session = pool.session(faulty(STARTS_FILE=str(log)))
        await session.call_tool("echo", {"text": "a"})
        (pid,) = starts(log)
        await eventually(lambda: pool.live() == 0 and not alive(pid))
        assert (await session.call_tool("echo", {"text": "b"})).text == "b"
        assert len(starts(log)) == 2


async def test_mcp_pool_aclose_leaves_no_child_process(tmp_path: Path) -> None:
    log = tmp_path / "starts"
    pool = McpPool(connect_timeout_s=60)
    await pool.session(faulty(STARTS_FILE=str(log))).call_tool("echo", {"text": "a"})
    await pool.session(faulty(STARTS_FILE=str(log), OTHER="1")).call_tool("echo", {"text": "b"})
    pids = starts(log)
    assert len(pids) == 2
    assert all(alive(p) for p in pids)
    await pool.aclose()
    assert not any(alive(p) for p in pids)
    assert pool.live() == 0


async def test_mcp_pool_reopens_a_session_after_the_server_crashed(
    pool: McpPool, tmp_path: Path
) -> None:
    log = tmp_path / "starts"
    session = pool.session(faulty(STARTS_FILE=str(log)))
    with pytest.raises(McpUnavailableError, match="hung up"):
        await session.call_tool("crash", {})
    assert (await session.call_tool("echo", {"text": "back"})).text == "back"
    first, second = starts(log)
    assert first != second
    assert not alive(first)


async def test_mcp_pool_call_timeout_leaves_the_session_usable(
    pool: McpPool, tmp_path: Path
) -> None:
    log = tmp_path / "starts"
    session = pool.session(faulty(STARTS_FILE=str(log)))
    with pytest.raises(McpTimeoutError, match=r"did not answer within 0.3 s \(calling 'sleep'\)"):
        await session.call_tool("sleep", {"seconds": 30}, timeout=0.3)
    assert (await session.call_tool("echo", {"text": "after"})).text == "after"
    assert len(starts(log)) == 1


async def test_mcp_pool_cancelled_call_leaves_the_session_usable(
    pool: McpPool, tmp_path: Path
) -> None:
    log = tmp_path / "starts"
    session = pool.session(faulty(STARTS_FILE=str(log)))
    await session.call_tool("echo", {"text": "open"})
    call = asyncio.create_task(session.call_tool("sleep", {"seconds": 30}))
    await asyncio.sleep(0.2)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert (await session.call_tool("echo", {"text": "after"})).text == "after"
    assert len(starts(log)) == 1


async def test_mcp_pool_refuses_a_result_over_the_limit_and_keeps_the_session(
    pool: McpPool, tmp_path: Path
) -> None:
    log = tmp_path / "starts"
    session = pool.session(faulty(STARTS_FILE=str(log)))
    with pytest.raises(ToolResultTooLargeError, match="over the limit of 1,048,576") as err:
        await session.call_tool("big", {"megabytes": 50}, max_bytes=1024 * 1024)
    assert err.value.size > 1024 * 1024
    small = await session.call_tool("big", {"megabytes": 1}, max_bytes=4 * 1024 * 1024)
    assert len(small.text) == 1024 * 1024
    assert len(starts(log)) == 1


async def test_mcp_pool_checks_arguments_and_tool_names_before_calling(pool: McpPool) -> None:
    session = pool.session(faulty())
    with pytest.raises(ToolArgumentsError, match="tool 'add': argument 'b' is required"):
        await session.call_tool("add", {"a": 1})
    with pytest.raises(ToolArgumentsError, match="argument 'a' is wrong: 'x' is not of type"):
        await session.call_tool("add", {"a": "x", "b": 1})
    with pytest.raises(ToolNotFoundError, match=r"no tool 'nope' \(its tools: add, big"):
        await session.call_tool("nope", {})


async def test_mcp_pool_reports_a_tool_error_as_an_error_result(pool: McpPool) -> None:
    result = await pool.session(faulty()).call_tool("boom", {})
    assert result.is_error
    assert "boom" in result.text


async def test_mcp_pool_names_a_command_that_does_not_exist(pool: McpPool) -> None:
    session = pool.session(StdioServer(command="weft-no-such-mcp-server"))
    with pytest.raises(McpUnavailableError, match="'weft-no-such-mcp-server' was not found"):
        await session.call_tool("x", {})
    assert pool.live() == 0


async def test_mcp_pool_says_what_a_server_that_fails_to_start_wrote() -> None:
    script = "import sys; sys.stderr.write('no licence key'); sys.exit(2)"
    async with McpPool(connect_timeout_s=60) as pool:
        session = pool.session(StdioServer(command=sys.executable, args=("-c", script)))
        with pytest.raises(McpUnavailableError, match=r"could not be started.*no licence key"):
            await session.list_tools()


async def test_mcp_pool_times_out_a_server_that_never_answers(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    script = (
        f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    )
    async with McpPool(connect_timeout_s=2) as pool:
        session = pool.session(StdioServer(command=sys.executable, args=("-c", script)))
        with pytest.raises(McpTimeoutError, match="did not complete the MCP handshake within 2 s"):
            await session.call_tool("x", {})
        assert pool.live() == 0
        assert not alive(int(pidfile.read_text()))


async def test_mcp_pool_ends_a_call_answered_with_a_line_that_is_not_json(pool: McpPool) -> None:
    session = pool.session(raw())
    assert [t.name for t in await session.list_tools()] == ["garbage"]
    with pytest.raises(McpProtocolError, match="sent a line that is not MCP"):
        await session.call_tool("garbage", {}, timeout=60)
    assert [t.name for t in await session.list_tools()] == ["garbage"]  # a new session
    assert pool.opened == 2


async def test_mcp_pool_uses_a_servers_own_timeouts(tmp_path: Path) -> None:
    silent = StdioServer(command="sleep", args=("30",), connect_timeout_s=0.5)
    async with McpPool(connect_timeout_s=60, call_timeout_s=60) as pool:
        with pytest.raises(McpTimeoutError, match=r"handshake within 0\.5 s"):
            await pool.session(silent).list_tools()
        slow = faulty(STARTS_FILE=str(tmp_path / "starts")).model_copy(
            update={"call_timeout_s": 0.3}
        )
        with pytest.raises(McpTimeoutError, match=r"did not answer within 0\.3 s"):
            await pool.session(slow).call_tool("sleep", {"seconds": 30})
