"""Re-running from a node: seeded nodes count as finished with an earlier run's outputs and
handle, emit nothing, and the join rule still decides what runs and what is skipped."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.compile import compile_node
from runtime.spec import WorkflowSpec
from tests.runtime.helpers import build, by_kind, edge, if_flag, node, node_ids, run, start

Seed = dict[str, tuple[dict[str, Any], str | None]]


def sleep(node_id: str) -> dict[str, Any]:
    return node(node_id, "sleep")


def echo(node_id: str, source: str) -> dict[str, Any]:
    """A template node that outputs the `value` of `source`."""
    selector = [source, "value"]
    return node(
        node_id,
        "template",
        template="{{ v }}",
        variables=[{"variable": "v", "value_selector": selector}],
    )


END = node("end", "end", outputs=[{"variable": "out", "value_selector": ["j", "value"]}])
BRANCHES = [start("flag"), if_flag(), sleep("a"), sleep("b"), sleep("j"), END]
BRANCH_EDGES = [
    edge("s", "if"),
    edge("if", "a", "yes"),
    edge("if", "b", "false"),
    edge("a", "j"),
    edge("b", "j"),
    edge("j", "end"),
]
YES: Seed = {
    "s": ({"flag": "y"}, "source"),
    "if": ({"result": True, "selected_case_id": "yes"}, "yes"),
}

# name, seed, ran, skipped (each only among the nodes that are not seeded)
CASES: list[tuple[str, Seed, set[str], set[str]]] = [
    (
        "taken_branch_reruns_and_join_runs",
        {**YES, "b": ({}, None)},
        {"a", "j", "end"},
        set(),
    ),
    (
        "join_reruns_alone_after_reused_branches",
        {**YES, "a": ({"value": "a"}, "source"), "b": ({}, None)},
        {"j", "end"},
        set(),
    ),
    (
        "rerun_if_else_with_new_inputs_takes_other_branch",
        {"s": ({"flag": "n"}, "source")},
        {"if", "b", "j", "end"},
        {"a"},
    ),
    (
        "node_behind_untaken_case_stays_skipped_but_join_runs",
        {**YES, "a": ({"value": "a"}, "source")},
        {"j", "end"},
        {"b"},
    ),
]


@pytest.mark.parametrize(("name", "seed", "ran", "skipped"), CASES, ids=[c[0] for c in CASES])
async def test_seed_table(name: str, seed: Seed, ran: set[str], skipped: set[str]) -> None:
    graph = build(BRANCHES, BRANCH_EDGES)
    events = await run(graph, inputs={"flag": "y"}, seed=seed)
    started = node_ids(events, "node_started")
    assert len(started) == len(set(started)), f"a node started twice: {started}"
    assert set(started) == ran
    assert set(node_ids(events, "node_skipped")) == skipped
    touched = {getattr(e, "node_id", None) for e in events}
    assert not touched & set(seed), "seeded nodes emit no events"
    assert (events[0].kind, events[-1].kind, events[-1].status) == (
        "run_started",
        "run_finished",
        "succeeded",
    )
    assert events[-1].outputs == {"out": "j"}


async def test_seed_values_reach_the_nodes_that_run_again() -> None:
    graph = build(
        [start(), sleep("a"), echo("t", "a"), node("end", "end", outputs=[])],
        [edge("s", "a"), edge("a", "t"), edge("t", "end")],
    )
    seed: Seed = {"s": ({}, "source"), "a": ({"value": "from the last run"}, "source")}
    events = await run(graph, seed=seed)
    (started,) = [e for e in by_kind(events, "node_started") if e.node_id == "t"]
    assert started.inputs == {"a.value": "from the last run"}
    assert started.predecessor_node_id == "a"
    (done,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == "t"]
    assert done.outputs == {"output": "from the last run"}


async def test_seed_of_reused_llm_streams_into_the_answer_that_runs_again() -> None:
    graph = build(
        [
            start(),
            node("llm", "llm", model={"provider": "embedded", "name": "m"}),
            node("ans", "answer", answer="> {{#llm.text#}}"),
        ],
        [edge("s", "llm"), edge("llm", "ans")],
        mode="chat",
    )
    seed: Seed = {"s": ({}, "source"), "llm": ({"text": "earlier"}, "source")}
    events = await run(graph, seed=seed, sys={"query": "q"})
    assert "".join(e.text for e in by_kind(events, "text_chunk")) == "> earlier"
    assert events[-1].answer == "> earlier"
    assert node_ids(events, "node_started") == ["ans"]


async def test_seed_without_its_ancestors_is_refused() -> None:
    graph = build(
        [start(), sleep("a"), node("end", "end", outputs=[])], [edge("s", "a"), edge("a", "end")]
    )
    with pytest.raises(ValueError, match="predecessor s"):
        await run(graph, seed={"a": ({"value": "x"}, "source")})


async def test_compile_node_runs_one_node_with_given_values() -> None:
    spec = WorkflowSpec.model_validate(
        {
            "mode": "workflow",
            "nodes": [start(), sleep("a"), echo("t", "a")],
            "edges": [edge("s", "a")],  # t is not even connected: only its own config counts
        }
    )
    graph = compile_node(spec, "t")
    events = await run(graph, seed={"a": ({"value": "by hand"}, "source")})
    assert [e.kind for e in events] == [
        "run_started",
        "node_started",
        "node_succeeded",
        "run_finished",
    ]
    assert events[1].inputs == {"a.value": "by hand"}
    assert events[-1].outputs == {"output": "by hand"}
    with pytest.raises(KeyError):
        compile_node(spec, "ghost")
