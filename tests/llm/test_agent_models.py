"""The agent node on real models: the embedded engine (ReAct), and vLLM when VLLM_BASE_URL is set
(its own tool calls; the server must run with --enable-auto-tool-choice)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from runtime.engine import Engine, RunContext
from runtime.llm.protocol import ChatModel
from runtime.resources import MODELS, TOOLS, Resources
from tests.fakes import FakeModels
from tests.runtime.doubles import DictToolSessions, ToolServer
from tests.runtime.helpers import build, by_kind, edge, node, start

VLLM_URL = os.environ.get("VLLM_BASE_URL", "")
ENDED = {"AgentStepLimitError", "AgentUnknownToolError"}  # how a small model may fail honestly


def _add(a: str, b: str) -> str:
    return str(int(a) + int(b))


async def _run_agent(model: ChatModel, name: str, tools: ToolServer, **config: Any) -> list[Any]:
    agent = node(
        "agent",
        "agent",
        model={"provider": "m", "name": name},
        instructions="Use the add tool to add numbers, then give the final answer.",
        query="{{#s.q#}}",
        tools=[{"server": "calc", "tool": "add"}],
        temperature=0,
        **config,
    )
    end = node("out", "end", outputs=[{"variable": "text", "value_selector": ["agent", "text"]}])
    graph = build([start("q"), agent, end], [edge("s", "agent"), edge("agent", "out")])
    resources = (
        Resources()
        .add(MODELS, FakeModels({"m": model}))
        .add(TOOLS, DictToolSessions({"calc": tools}))
    )
    context = RunContext(run_id="r", resources=resources, inputs={"q": "What is 17 + 25?"})
    return [e async for e in Engine(graph).run(context)]


async def test_agent_on_the_embedded_model_ends_within_its_steps(engine: Any) -> None:
    tools = ToolServer({"add": _add})
    events = await _run_agent(engine, "smollm2-135m-instruct", tools, max_steps=2, max_tokens=48)
    agent = [e for e in events if getattr(e, "node_id", "") == "agent"][-1]
    if agent.kind == "node_succeeded":
        assert agent.metadata["agent"]["strategy"] == "react"  # the engine returns no tool calls
        assert agent.metadata["agent"]["steps"] <= 2
    else:
        assert agent.error_code in ENDED, agent.error
    assert len(tools.calls) <= 2
    assert by_kind(events, "run_finished")[0].status in ("succeeded", "failed")


@pytest.mark.external
@pytest.mark.skipif(not VLLM_URL, reason="set VLLM_BASE_URL to test against a real vLLM")
async def test_agent_on_vllm_calls_the_tool_and_answers() -> None:
    from runtime.llm.vllm import VLLMClient

    client = VLLMClient(VLLM_URL, api_key=os.environ.get("VLLM_API_KEY"), timeout=120)
    base = next(m.id for m in await client.list_models() if m.parent is None)
    tools = ToolServer({"add": _add})
    events = await _run_agent(client, base, tools, max_steps=4, strategy="function_calling")
    agent = [e for e in events if getattr(e, "node_id", "") == "agent"][-1]
    assert agent.kind == "node_succeeded", getattr(agent, "error", "")
    assert [name for name, _ in tools.calls][:1] == ["add"]
    assert "42" in agent.outputs["text"]
    assert [e.label for e in by_kind(events, "node_log")][:2] == ["tool_call", "tool_result"]
