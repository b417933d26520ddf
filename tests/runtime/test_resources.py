"""Typed node resources: a node declares its needs, reads them from its context, and a graph
whose node needs what no provider offers is reported."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from runtime.compile import needs_of, validate
from runtime.engine import Engine, RunContext
from runtime.errors import MissingResourceError
from runtime.nodes import registry
from runtime.resources import (
    ENVIRONMENT,
    MODELS,
    RETRIEVER,
    TOOLS,
    Resources,
    RetrievedChunk,
)
from runtime.spec import WorkflowSpec
from tests.fakes import FakeModels
from tests.runtime.doubles import (
    DictEnvironment,
    DictToolSessions,
    ListRetriever,
    RecordingToolSession,
    SearchNode,
    ToolCallNode,
)
from tests.runtime.helpers import build, by_kind, edge, node, start

CHUNKS = [
    RetrievedChunk("cats purr", 0.9, "d1", "cats.md", "kb", "Pets", "s1"),
    RetrievedChunk("dogs bark", 0.8, "d2", "dogs.md", "kb", "Pets", "s2"),
    RetrievedChunk("elsewhere", 0.7, "d3", "x.md", "other", "Other", "s3"),
]


@pytest.fixture(autouse=True)
def resource_nodes() -> Iterator[None]:
    with registry.temporary("search", SearchNode), registry.temporary("tool_call", ToolCallNode):
        yield


def _spec(*middle: dict[str, Any]) -> dict[str, Any]:
    ids = ["s", *(n["id"] for n in middle), "end"]
    end = node("end", "end", outputs=[{"variable": "out", "value_selector": [ids[-2], "result"]}])
    return {
        "mode": "workflow",
        "nodes": [start(), *middle, end],
        "edges": [edge(a, b) for a, b in itertools.pairwise(ids)],
    }


async def _run(spec: dict[str, Any], resources: Resources) -> list[Any]:
    graph = build(spec["nodes"], spec["edges"])
    ctx = RunContext(run_id="r", resources=resources)
    return [e async for e in Engine(graph).run(ctx)]


async def test_resources_node_reads_its_retriever_and_cites_it() -> None:
    retriever = ListRetriever(CHUNKS)
    events = await _run(_spec(node("k", "search")), Resources().add(RETRIEVER, retriever))
    end = events[-1]
    assert end.status == "succeeded"
    assert end.outputs == {"out": "cats purr\ndogs bark"}
    assert retriever.queries == ["q"]
    (k,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == "k"]
    cited = k.metadata["retriever_resources"]
    assert [(c["position"], c["document_name"], c["score"]) for c in cited] == [
        (1, "cats.md", 0.9),
        (2, "dogs.md", 0.8),
    ]
    assert end.metadata == {"retriever_resources": cited}


async def test_resources_run_metadata_joins_every_nodes_list_in_finish_order() -> None:
    spec = _spec(node("k1", "search", query="a"), node("k2", "search", datasets=["other"]))
    events = await _run(spec, Resources().add(RETRIEVER, ListRetriever(CHUNKS)))
    names = [c["document_name"] for c in events[-1].metadata["retriever_resources"]]
    assert names == ["cats.md", "dogs.md", "x.md"]
    others = [e for e in by_kind(events, "node_succeeded") if e.node_id in ("s", "end")]
    assert [e.metadata for e in others] == [{}, {}]


async def test_resources_tool_session_and_environment_reach_the_node() -> None:
    session = RecordingToolSession({"add": 42})
    resources = (
        Resources()
        .add(TOOLS, DictToolSessions({"calc": session}))
        .add(ENVIRONMENT, DictEnvironment({"API_KEY": "k-1"}))
    )
    events = await _run(_spec(node("t", "tool_call")), resources)
    assert events[-1].outputs == {"out": 42}
    assert session.calls == [("add", {"key": "k-1"})]


async def test_resources_environment_is_the_runs_own_env_when_none_is_given() -> None:
    spec = _spec(node("t", "tool_call"))
    session = RecordingToolSession({"add": 42})
    tools = Resources().add(TOOLS, DictToolSessions({"calc": session}))
    graph = build(spec["nodes"], spec["edges"])
    ctx = RunContext(run_id="r", resources=tools, env={"API_KEY": "from-the-app"})
    events = [e async for e in Engine(graph).run(ctx)]
    assert [e.outputs for e in by_kind(events, "run_finished")] == [{"out": 42}]
    assert session.calls == [("add", {"key": "from-the-app"})]

    unset = [e async for e in Engine(graph).run(RunContext(run_id="r2", resources=tools))]
    (failed,) = by_kind(unset, "node_failed")
    assert failed.error_code == "MissingResourceError"
    assert "'API_KEY' is not set" in failed.error


async def test_resources_missing_need_fails_the_node_naming_it() -> None:
    events = await _run(_spec(node("k", "search")), Resources().add(MODELS, FakeModels()))
    (failed,) = by_kind(events, "node_failed")
    assert (failed.node_id, failed.error_code) == ("k", "MissingResourceError")
    assert "retriever" in failed.error
    assert events[-1].status == "failed"


def test_resources_get_refuses_an_absent_key_and_add_keeps_the_original() -> None:
    empty = Resources()
    given = empty.add(RETRIEVER, ListRetriever())
    assert RETRIEVER in given
    assert RETRIEVER not in empty
    with pytest.raises(MissingResourceError, match="retriever"):
        empty.get(RETRIEVER)
    assert given.keys() == {RETRIEVER}


def test_resources_validate_reports_a_need_no_provider_offers() -> None:
    spec = WorkflowSpec.model_validate(_spec(node("k", "search"), node("t", "tool_call")))
    assert validate(spec) == []  # without `offered`, needs are not checked
    found = [(i.code, i.node_id) for i in validate(spec, offered={RETRIEVER})]
    assert found == [("missing_resource", "t")]
    assert "tools" in validate(spec, offered={RETRIEVER})[0].message
    # the environment is every run's own: never missing, though no app provides it
    assert validate(spec, offered={RETRIEVER, TOOLS}) == []


def test_resources_needs_of_a_graph_are_its_nodes_needs() -> None:
    spec = _spec(node("k", "search"), node("t", "tool_call"))
    assert needs_of(build(spec["nodes"], spec["edges"])) == {RETRIEVER, TOOLS}  # not the run's own
    llm = node("m", "llm", prompt="hi")
    chat = build(
        [start(), llm, node("a", "answer", answer="x")], [edge("s", "m"), edge("m", "a")], "chat"
    )
    assert needs_of(chat) == {MODELS}
