"""The MCP client against real servers from PyPI over stdio: mcp-server-time, mcp-server-git on
a repository the test makes, mcp-server-fetch on a page the test serves on 127.0.0.1."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from runtime.errors import ToolArgumentsError
from runtime.mcp import McpPool
from tests.runtime.mcp_servers import installed


@pytest.fixture
async def pool() -> AsyncIterator[McpPool]:
    async with McpPool(connect_timeout_s=60) as pool:
        yield pool


async def test_mcp_time_server_gives_the_time_in_a_timezone(pool: McpPool) -> None:
    session = pool.session(installed("mcp-server-time"))
    names = {t.name for t in await session.list_tools()}
    assert {"get_current_time", "convert_time"} <= names

    result = await session.call_tool("get_current_time", {"timezone": "Asia/Tokyo"})
    assert not result.is_error
    assert result.structured_content["timezone"] == "Asia/Tokyo"
    assert datetime.fromisoformat(result.structured_content["datetime"]).utcoffset() is not None
    assert '"Asia/Tokyo"' in result.text

    converted = await session.call_tool(
        "convert_time",
        {"source_timezone": "Etc/UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"},
    )
    assert converted.structured_content["target"]["datetime"].startswith(
        converted.structured_content["source"]["datetime"][:10]
    )
    assert "T21:00:00+09:00" in converted.structured_content["target"]["datetime"]


async def test_mcp_time_server_arguments_are_checked_against_its_schema(pool: McpPool) -> None:
    session = pool.session(installed("mcp-server-time"))
    with pytest.raises(ToolArgumentsError, match="'timezone' is required") as missing:
        await session.call_tool("get_current_time", {})
    assert missing.value.argument == "timezone"
    with pytest.raises(ToolArgumentsError, match="'timezone' is wrong") as typed:
        await session.call_tool("get_current_time", {"timezone": 9})
    assert typed.value.argument == "timezone"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with one commit and one untracked file."""
    git = ["git", "-C", str(tmp_path), "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    (tmp_path / "a.txt").write_text("first\n")
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "the first commit"], check=True)
    (tmp_path / "new.txt").write_text("not added\n")
    return tmp_path


async def test_mcp_git_server_reports_status_and_log_of_a_repository(
    pool: McpPool, repo: Path
) -> None:
    session = pool.session(installed("mcp-server-git", "--repository", str(repo)))
    assert {"git_status", "git_log"} <= {t.name for t in await session.list_tools()}

    status = await session.call_tool("git_status", {"repo_path": str(repo)})
    assert not status.is_error
    assert "new.txt" in status.text
    assert "main" in status.text

    log = await session.call_tool("git_log", {"repo_path": str(repo), "max_count": 5})
    assert "the first commit" in log.text


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><body><h1>Weft fetch test</h1><p>The answer is 42.</p></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def page() -> Iterator[str]:
    """A page served on 127.0.0.1 by the test (robots.txt answers the same page: no rules)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/page"
    finally:
        server.shutdown()
        server.server_close()


async def test_mcp_fetch_server_fetches_a_local_page_when_allowed(pool: McpPool, page: str) -> None:
    # Our outbound guard covers the URLs the worker itself connects to (streamable HTTP MCP
    # servers); what a stdio server fetches is up to the server: mcp-server-fetch has its own
    # guard, which refuses 127.0.0.1 unless it is started with --allow-private-ips.
    refusing = pool.session(installed("mcp-server-fetch", "--ignore-robots-txt"))
    refused = await refusing.call_tool("fetch", {"url": page})
    assert refused.is_error
    assert "The answer is" not in refused.text  # (the port may hold "42")

    allowing = pool.session(
        installed("mcp-server-fetch", "--allow-private-ips", "--ignore-robots-txt")
    )
    result = await allowing.call_tool("fetch", {"url": page})
    assert not result.is_error, result.text
    assert "The answer is 42." in result.text
