"""The multi-agent template, published and run over the Service API against a scripted
OpenAI-compatible model and test tool servers: a round rejected with feedback then one accepted,
and the bound of rounds when the Evaluator never accepts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from builder import _multiagent
from builder.templates import MULTI_AGENT, list_templates, template_spec
from kernel.resources import replaced
from runtime.compile import validate
from runtime.llm.openai_compat import OpenAICompatibleClient
from runtime.resources import MODELS, TOOLS
from runtime.spec import WorkflowSpec
from tests.builder.sse import parse_sse
from tests.fakes import FakeModels
from tests.llm._http import serve
from tests.llm.conftest import LOCAL
from tests.llm.scripted_server import Call, ScriptedServer, Turn
from tests.runtime.doubles import DictToolSessions, ToolServer

pytestmark = [pytest.mark.django_db(transaction=True)]
TEAM = ["planner", "researcher", "executor", "evaluator"]


def _spec() -> dict[str, Any]:
    """The template with every model set to the scripted server's."""
    spec = template_spec(MULTI_AGENT)
    assert spec is not None
    for node in spec["nodes"]:
        if "model" in node["config"]:
            node["config"]["model"] = {"provider": "vllm", "name": "scripted"}
    return spec


def _round(draft: str, verdict: str, feedback: str) -> list[Turn]:
    """The model's turns for one round: plan, research with one search, execute with one fetch,
    then the Evaluator's JSON."""
    return [
        Turn(text=f"1. find the facts\n2. write ({draft})"),
        Turn(calls=(Call("search_knowledge", '{"query": "tides"}'),)),
        Turn(text="Tides follow the moon (knowledge base: ocean.md)."),
        Turn(calls=(Call("http_request", '{"url": "https://example.org/tides"}'),)),
        Turn(text=draft),
        Turn(text=json.dumps({"verdict": verdict, "feedback": feedback})),
    ]


@pytest.fixture
def tools() -> dict[str, ToolServer]:
    return {
        "knowledge": ToolServer(
            {"search_knowledge": lambda query: f"ocean.md: the moon pulls ({query})"}
        ),
        "http": ToolServer({"http_request": lambda url: f"page at {url}: tides twice a day"}),
    }


@pytest.fixture
def server(tools: dict[str, ToolServer]) -> Iterator[ScriptedServer]:
    """The scripted model as provider "vllm", and the knowledge and http tool servers."""
    scripted = ScriptedServer()
    with serve(scripted) as url:
        models = FakeModels({"vllm": OpenAICompatibleClient(url, policy=LOCAL, max_retries=0)})
        with (
            replaced(MODELS, lambda workspace_id: models),
            replaced(TOOLS, lambda workspace_id: DictToolSessions(dict(tools))),
        ):
            yield scripted


@pytest.fixture
def key(server: ScriptedServer, owner: Any, make_app: Any) -> str:
    return str(make_app(owner, _spec(), slug="team")[1])


async def _chat(url: str, key: str, query: str) -> list[dict[str, Any]]:
    body = {"query": query, "inputs": {}, "user": "u1", "response_mode": "streaming"}
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        response = await http.post(
            "/v1/chat-messages", json=body, headers={"Authorization": f"Bearer {key}"}
        )
    assert response.status_code == 200, response.text
    return parse_sse(response.content)


def _planner_prompts(server: ScriptedServer) -> list[str]:
    """The user message of each request the Planner sent."""
    return [
        r["messages"][-1]["content"]
        for r in server.requests
        if r["messages"][0]["content"].startswith("You are the Planner")
    ]


def _started(events: list[dict[str, Any]]) -> list[str]:
    return [e["data"]["node_id"] for e in events if e["event"] == "node_started"]


def test_multi_agent_template_is_offered_with_its_card_and_validates() -> None:
    (template,) = [t for t in list_templates() if t.id == MULTI_AGENT]
    assert [name for name, _ in template.roles] == [
        "Planner",
        "Researcher",
        "Executor",
        "Evaluator",
    ]
    assert "knowledge" in template.card
    assert "http" in template.card
    spec = WorkflowSpec.model_validate(template.build())
    assert validate(spec, [MODELS, TOOLS]) == []
    loop = next(n for n in spec.nodes if n.id == _multiagent.LOOP)
    assert loop.config["loop_count"] == _multiagent.ROUNDS
    assert {n.id for n in spec.nodes if n.parent_id == _multiagent.LOOP} == {
        "rounds_start",
        *TEAM,
    }


async def test_multi_agent_revises_with_feedback_then_accepts(
    server: ScriptedServer, key: str, live_url: str, tools: dict[str, ToolServer]
) -> None:
    server.script[:] = [
        *_round("Draft one.", "revise", "Cite a source for each fact."),
        *_round("Tides follow the moon [ocean.md].", "accept", ""),
    ]
    events = await _chat(live_url, key, "Why are there tides?")
    finished = events[-1]
    assert finished["event"] == "workflow_finished"
    assert finished["data"]["status"] == "succeeded", finished
    answer = "".join(e["answer"] for e in events if e["event"] == "message")
    assert answer == "Tides follow the moon [ocean.md]."
    one_round = ["rounds_start", *TEAM]
    # the loop itself streams as Dify's loop_started / loop_next / loop_completed
    assert _started(events) == ["start", *one_round, *one_round, "answer"]
    loop = [e["event"] for e in events if e["event"].startswith("loop_")]
    assert (loop[0], loop[-1], loop.count("loop_next")) == ("loop_started", "loop_completed", 2)
    kinds = [e["event"] for e in events]
    assert kinds.index("agent_log") < kinds.index("message") < kinds.index("message_end")
    first, second = _planner_prompts(server)
    assert "Cite a source for each fact." not in first
    assert "Cite a source for each fact." in second
    assert "Draft one." in second  # the Planner sees the result it is to improve
    assert tools["knowledge"].calls == [("search_knowledge", {"query": "tides"})] * 2
    assert server.script == []  # every scripted turn was asked for: no extra model calls


async def test_multi_agent_stops_after_its_rounds_with_the_last_result(
    server: ScriptedServer, key: str, live_url: str
) -> None:
    rounds = _multiagent.ROUNDS
    for n in range(1, rounds + 2):  # one round more than the bound: it must not be asked for
        server.script += _round(f"Attempt {n}.", "revise", f"Still wrong ({n}).")
    events = await _chat(live_url, key, "Why are there tides?")
    assert events[-1]["data"]["status"] == "succeeded"
    answer = "".join(e["answer"] for e in events if e["event"] == "message")
    assert answer == f"Attempt {rounds}."
    assert _started(events).count("planner") == rounds
    assert len(server.script) == len(_round("", "", ""))  # the extra round was never run
    assert f"Still wrong ({rounds - 1})." in _planner_prompts(server)[-1]
