"""TextChunk streaming: LLM deltas reach the user through the answer node, in template order."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from runtime.engine import Engine, RunContext
from runtime.resources import MODELS, Resources
from tests.fakes import FakeChatClient, FakeModels
from tests.runtime.helpers import (
    build,
    by_kind,
    edge,
    if_flag,
    neighbour_reads,
    node,
    seq_of,
    start,
)


def llm(node_id: str, provider: str = "embedded", **settings: Any) -> dict[str, Any]:
    model = {"provider": provider, "name": "m"}
    return node(node_id, "llm", model=model, prompt="hi", settings=settings)


async def _run(
    graph: Any, scripts: dict[str, list[Any]], delay_s: float = 0.0, **ctx: Any
) -> list[Any]:  # events; Any so tests read kind-specific fields
    clients = {p: FakeChatClient(script=s, delay_s=delay_s) for p, s in scripts.items()}
    context = RunContext(
        run_id="r", resources=Resources().add(MODELS, FakeModels(dict(clients))), **ctx
    )
    return [ev async for ev in Engine(graph).run(context)]


def chunks(events: list[Any]) -> list[str]:
    return [e.text for e in by_kind(events, "text_chunk")]


async def test_streaming_forwards_llm_deltas_before_llm_finishes() -> None:
    graph = build(
        [start(), llm("llm"), node("ans", "answer", answer="Intro: {{#llm.text#}}!")],
        [edge("s", "llm"), edge("llm", "ans")],
        mode="chat",
    )
    events = await _run(graph, {"embedded": [["Hel", "lo"]]}, delay_s=0.001)
    assert chunks(events) == ["Intro: ", "Hel", "lo", "!"]
    first_chunk = by_kind(events, "text_chunk")[0]
    assert first_chunk.node_id == "ans"
    assert first_chunk.seq < seq_of(events, "node_succeeded", "llm")
    assert [e.kind for e in events if e.kind in {"node_delta", "text_chunk"}][:3] == [
        "node_delta",
        "text_chunk",
        "text_chunk",
    ]
    assert events[-1].answer == "Intro: Hello!"
    assert events[-1].outputs == {"answer": "Intro: Hello!"}


async def test_streaming_waits_when_a_branch_lies_between() -> None:
    graph = build(
        [
            start("flag"),
            llm("llm"),
            if_flag(),
            node("ans", "answer", answer="A:{{#llm.text#}}"),
            node("other", "answer", answer="no"),
        ],
        [
            edge("s", "llm"),
            edge("llm", "if"),
            edge("if", "ans", "yes"),
            edge("if", "other", "false"),
        ],
        mode="chat",
    )
    events = await _run(graph, {"embedded": [["Hel", "lo"]]}, inputs={"flag": "y"})
    assert chunks(events) == ["A:Hello"]
    assert by_kind(events, "text_chunk")[0].seq > seq_of(events, "node_started", "ans")
    assert events[-1].answer == "A:Hello"


async def test_streaming_parallel_llms_keep_template_order() -> None:
    graph = build(
        [
            start(),
            llm("l1", "p1"),
            llm("l2", "p2"),
            node("ans", "answer", answer="[{{#l1.text#}}|{{#l2.text#}}]"),
        ],
        [edge("s", "l1"), edge("s", "l2"), edge("l1", "ans"), edge("l2", "ans")],
        mode="chat",
    )
    events = await _run(graph, {"p1": [["a", "b", "c"]], "p2": [["x", "y"]]}, delay_s=0.002)
    assert "".join(chunks(events)) == "[abc|xy]"
    assert chunks(events)[0] == "["
    assert events[-1].answer == "[abc|xy]"


async def test_streaming_blocked_by_non_streaming_reference_until_answer_runs() -> None:
    graph = build(
        [
            start("name"),
            node(
                "t",
                "template",
                template="Hi {{ n }}",
                variables=[{"variable": "n", "value_selector": ["s", "name"]}],
            ),
            llm("llm"),
            node("ans", "answer", answer="{{#t.output#}}: {{#llm.text#}}"),
        ],
        [edge("s", "t"), edge("t", "llm"), edge("llm", "ans")],
        mode="chat",
    )
    events = await _run(graph, {"embedded": [["o", "k"]]}, inputs={"name": "Bo"})
    assert chunks(events) == ["Hi Bo: ok"]


async def test_streaming_off_when_node_retries() -> None:
    graph = build(
        [
            start(),
            llm("llm", retry={"max_attempts": 2}),
            node("ans", "answer", answer="{{#llm.text#}}"),
        ],
        [edge("s", "llm"), edge("llm", "ans")],
        mode="chat",
    )
    events = await _run(graph, {"embedded": [RuntimeError("flaky"), ["o", "k"]]})
    assert chunks(events) == ["ok"]
    assert events[-1].answer == "ok"


async def test_streaming_two_answer_nodes_concatenate() -> None:
    graph = build(
        [
            start(),
            llm("llm"),
            node("a1", "answer", answer="{{#llm.text#}}"),
            node("a2", "answer", answer=" (done)"),
        ],
        [edge("s", "llm"), edge("llm", "a1"), edge("a1", "a2")],
        mode="chat",
    )
    events = await _run(graph, {"embedded": [["o", "k"]]})
    assert [(e.node_id, e.text) for e in by_kind(events, "text_chunk")] == [
        ("a1", "o"),
        ("a1", "k"),
        ("a2", " (done)"),
    ]
    assert events[-1].answer == "ok (done)"


async def test_streaming_workflow_end_node_streams_llm_output() -> None:
    graph = build(
        [
            start(),
            llm("llm"),
            node("tpl", "template", template="fixed"),
            node(
                "end",
                "end",
                outputs=[
                    {"variable": "text", "value_selector": ["llm", "text"]},
                    {"variable": "other", "value_selector": ["tpl", "output"]},
                ],
            ),
        ],
        [edge("s", "llm"), edge("s", "tpl"), edge("llm", "end"), edge("tpl", "end")],
        mode="workflow",
    )
    events = await _run(graph, {"embedded": [["Hel", "lo"]]}, delay_s=0.001)
    assert chunks(events) == ["Hel", "lo"]  # the template's output is not text to stream
    assert {e.node_id for e in by_kind(events, "text_chunk")} == {"end"}
    assert by_kind(events, "text_chunk")[0].seq < seq_of(events, "node_succeeded", "llm")
    assert events[-1].outputs == {"text": "Hello", "other": "fixed"}
    assert events[-1].answer == ""


def _plan_reads(length: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Neighbour lists read compiling a chat chain of `length` LLM nodes, all shown by one
    answer node (each one a selector to plan streaming for)."""
    ids = [f"l{i}" for i in range(length)]
    answer = node("ans", "answer", answer="".join(f"{{{{#{i}.text#}}}}" for i in ids))
    nodes = [start(), *(llm(i) for i in ids), answer]
    path = ["s", *ids, "ans"]
    edges = [edge(a, b) for a, b in itertools.pairwise(path)]
    return neighbour_reads(lambda: build(nodes, edges, mode="chat"), monkeypatch)


def test_streaming_plan_is_linear_in_graph_size(monkeypatch: pytest.MonkeyPatch) -> None:
    # Finding 8: a descendants & ancestors walk per streamed selector was quadratic.
    short, long = _plan_reads(100, monkeypatch), _plan_reads(400, monkeypatch)
    assert long <= 4.5 * short  # 4x the nodes; a walk per selector would read ~16x


@pytest.mark.parametrize(
    ("between", "streams"),
    [
        ([], True),
        ([llm("mid")], True),
        ([if_flag("mid")], False),
        ([llm("mid", error_strategy="fail_branch")], False),
    ],
)
def test_streaming_plan_stops_only_at_a_branch_between(
    between: list[dict[str, Any]], streams: bool
) -> None:
    # a branch beside the path (side) never stops streaming; one on the path (mid) does
    path = ["s", "llm", *(n["id"] for n in between), "ans"]
    handles = {"mid": "yes"} if between and between[0]["type"] == "if_else" else {}
    edges = [edge(a, b, handles.get(a, "source")) for a, b in itertools.pairwise(path)]
    edges += [edge("s", "side"), edge("side", "ans", "yes"), edge("side", "ans", "false")]
    if handles:
        edges.append(edge("mid", "ans", "false"))
    graph = build(
        [
            start("flag"),
            llm("llm"),
            *between,
            if_flag("side"),
            node("ans", "answer", answer="{{#llm.text#}}"),
        ],
        edges,
        mode="chat",
    )
    assert (("llm", "text") in graph.answers["ans"].streamable) is streams
