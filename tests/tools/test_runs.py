"""The TOOLS provider in runs: a published workflow's tool node calls mcp-server-time through
/v1/workflows/run; sessions are pooled per event loop and reused across runs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from tests.runtime.mcp_servers import BIN

TIME = str(BIN / "mcp-server-time")


def _spec() -> dict[str, Any]:
    """Start → tool (time.get_current_time, timezone UTC) → End(now, text)."""
    tool = {
        "server": "mcp_time",
        "tool": "get_current_time",
        "arguments": {"timezone": {"type": "constant", "value": "UTC"}},
    }
    outputs = [
        {"variable": "now", "value_selector": ["clock", "json"]},
        {"variable": "text", "value_selector": ["clock", "text"]},
    ]
    return {
        "mode": "workflow",
        "nodes": [
            {"id": "start", "type": "start", "config": {"variables": []}},
            {"id": "clock", "type": "tool", "config": tool},
            {"id": "end", "type": "end", "config": {"outputs": outputs}},
        ],
        "edges": [{"source": "start", "target": "clock"}, {"source": "clock", "target": "end"}],
    }


def _add_time(workspace: Any, **fields: Any) -> Any:
    from tools.models import ToolServer

    return ToolServer.objects.create(
        workspace=workspace, name="mcp_time", transport="stdio", command=TIME, **fields
    )


@pytest.mark.django_db(transaction=True)
def test_published_tool_node_calls_mcp_server_time(
    owner: Any, make_app: Any, live_url: str
) -> None:
    _add_time(owner.workspace)
    _, key = make_app(owner, spec=_spec(), mode="workflow", slug="clock")
    body = {"inputs": {}, "response_mode": "blocking", "user": "u"}
    for _ in range(2):  # the second run reuses the pooled session
        response = httpx.post(
            live_url + "/v1/workflows/run",
            content=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert data["status"] == "succeeded", data["error"]
        assert data["outputs"]["now"]["timezone"] == "UTC"
        assert "datetime" in data["outputs"]["now"]


@pytest.mark.django_db(transaction=True)
def test_provider_pools_sessions_per_loop_and_names_unusable_servers(owner: Any) -> None:
    from runtime.errors import MissingResourceError
    from tools.models import ToolServer
    from tools.pools import pools
    from tools.provider import workspace_tools

    _add_time(owner.workspace)
    ToolServer.objects.create(
        workspace=owner.workspace, name="off", transport="stdio", command=TIME, enabled=False
    )

    async def two_runs() -> tuple[int, int]:
        for _ in range(2):
            tools = await workspace_tools(owner.workspace_id)
            result = await tools.get("mcp_time").call_tool("get_current_time", {"timezone": "UTC"})
            assert '"timezone": "UTC"' in result.text
        with pytest.raises(MissingResourceError, match="'off' is turned off"):
            tools.get("off")
        with pytest.raises(
            MissingResourceError, match=r"no tool server 'nope' \(its servers: .*mcp_time"
        ):
            tools.get("nope")
        pool = pools()[asyncio.get_running_loop()]
        return pool.opened, pool.live()

    assert asyncio.run(two_runs()) == (1, 1)
    # asyncio.run ended its loop, cancelling the session's task: the server stopped with it
    assert all(pool.live() == 0 for pool in pools().values())
