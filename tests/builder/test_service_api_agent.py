"""A published chat app with an agent node over the Service API: Dify's agent_thought and
agent_log events, and the steps kept with the node's row for the trace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from builder.models import NodeRun
from kernel.resources import replaced
from runtime.llm.openai_compat import OpenAICompatibleClient
from runtime.resources import MODELS, TOOLS
from tests.builder.sse import parse_sse
from tests.fakes import FakeModels
from tests.llm._http import serve
from tests.llm.conftest import LOCAL
from tests.llm.scripted_server import Call, ScriptedServer, Turn
from tests.runtime.doubles import DictToolSessions, ToolServer

pytestmark = [pytest.mark.django_db(transaction=True)]


def _spec() -> dict[str, Any]:
    agent = {
        "model": {"provider": "vllm", "name": "scripted"},
        "instructions": "Add with the tool.",
        "tools": [{"server": "calc", "tool": "add"}],
        "memory": {"enabled": True, "window": 10},
    }
    return {
        "mode": "chat",
        "nodes": [
            {"id": "start", "type": "start", "config": {"variables": []}},
            {"id": "agent", "type": "agent", "config": agent},
            {"id": "answer", "type": "answer", "config": {"answer": "{{#agent.text#}}"}},
        ],
        "edges": [
            {"source": "start", "target": "agent"},
            {"source": "agent", "target": "answer"},
        ],
    }


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    """The scripted model as the workspace's provider "vllm", and the `calc` tool server."""
    scripted = ScriptedServer()
    tools = ToolServer({"add": lambda a, b: str(int(a) + int(b))})
    with serve(scripted) as url:
        client = OpenAICompatibleClient(url, policy=LOCAL, max_retries=0)
        models = FakeModels({"vllm": client})
        with (
            replaced(MODELS, lambda workspace_id: models),
            replaced(TOOLS, lambda workspace_id: DictToolSessions({"calc": tools})),
        ):
            yield scripted


@pytest.fixture
def key(owner: Any, make_app: Any) -> str:
    """The API key of the published agent chat app."""
    return str(make_app(owner, _spec(), slug="agent-chat")[1])


async def test_chat_app_with_an_agent_streams_agent_thoughts(
    server: ScriptedServer, key: str, live_url: str
) -> None:
    server.script[:] = [
        Turn(text="I will add.", calls=(Call("add", '{"a": "2", "b": "3"}'),)),
        Turn(text="It is 5."),
    ]
    body = {"query": "2+3?", "inputs": {}, "user": "u1", "response_mode": "streaming"}
    async with httpx.AsyncClient(base_url=live_url, timeout=60) as http:
        response = await http.post(
            "/v1/chat-messages", json=body, headers={"Authorization": f"Bearer {key}"}
        )
    events = parse_sse(response.content)
    kinds = [e["event"] for e in events]
    assert "".join(e["answer"] for e in events if e["event"] == "message") == "It is 5."
    thoughts = [e for e in events if e["event"] == "agent_thought"]
    last = thoughts[-1]
    assert {e["id"] for e in thoughts} == {last["id"]}  # one round, resent as it grew
    assert (last["position"], last["thought"], last["tool"]) == (1, "I will add.", "add")
    assert json.loads(last["tool_input"]) == {"add": {"a": "2", "b": "3"}}
    assert json.loads(last["observation"]) == {"add": "5"}
    assert last["message_id"] == events[0]["message_id"]
    logs = [e["data"] for e in events if e["event"] == "agent_log"]
    assert [d["label"] for d in logs] == ["thought", "tool_call", "tool_result"]
    assert {d["node_id"] for d in logs} == {"agent"}
    assert kinds.index("agent_thought") < kinds.index("message") < kinds.index("message_end")
    row = await NodeRun.objects.aget(run_id=events[0]["task_id"], node_id="agent")
    assert [step["label"] for step in row.metadata["log"]] == [
        "thought",
        "tool_call",
        "tool_result",
    ]
    assert row.metadata["agent"] == {"strategy": "function_calling", "steps": 2}
