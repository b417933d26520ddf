"""Table tests of the join rule: run once, after every incoming edge is resolved, if one taken."""

from __future__ import annotations

from typing import Any

import pytest

from tests.runtime.helpers import (
    build,
    by_kind,
    edge,
    if_flag,
    kinds,
    node,
    node_ids,
    run,
    seq_of,
    start,
)


def sleep(node_id: str, delay: float = 0.0) -> dict[str, Any]:
    return node(node_id, "sleep", delay=delay)


END = node("end", "end", outputs=[])

# name, nodes, edges, inputs, expected ran, expected skipped
CASES: list[
    tuple[str, list[dict[str, Any]], list[dict[str, Any]], dict[str, str], set[str], set[str]]
] = [
    (
        "diamond",
        [start(), sleep("a", 0.01), sleep("b", 0.03), sleep("j"), END],
        [edge("s", "a"), edge("s", "b"), edge("a", "j"), edge("b", "j"), edge("j", "end")],
        {},
        {"s", "a", "b", "j", "end"},
        set(),
    ),
    (
        "join_after_if_else_one_branch_skipped",
        [start("flag"), if_flag(), sleep("a"), sleep("b"), sleep("j"), END],
        [
            edge("s", "if"),
            edge("if", "a", "yes"),
            edge("if", "b", "false"),
            edge("a", "j"),
            edge("b", "j"),
            edge("j", "end"),
        ],
        {"flag": "y"},
        {"s", "if", "a", "j", "end"},
        {"b"},
    ),
    (
        "join_after_if_else_false_branch",
        [start("flag"), if_flag(), sleep("a"), sleep("b"), sleep("j"), END],
        [
            edge("s", "if"),
            edge("if", "a", "yes"),
            edge("if", "b", "false"),
            edge("a", "j"),
            edge("b", "j"),
            edge("j", "end"),
        ],
        {"flag": "n"},
        {"s", "if", "b", "j", "end"},
        {"a"},
    ),
    (
        "all_branches_skipped_skips_join",
        [start("flag"), if_flag(), sleep("a"), sleep("b"), sleep("j"), END],
        [
            edge("s", "if"),
            edge("if", "a", "yes"),
            edge("if", "b", "yes"),
            edge("a", "j"),
            edge("b", "j"),
            edge("j", "end"),
            edge("if", "end", "false"),
        ],
        {"flag": "n"},
        {"s", "if", "end"},
        {"a", "b", "j"},
    ),
    (
        "skip_propagates_down_a_chain",
        [start("flag"), if_flag(), sleep("a"), sleep("a2"), sleep("a3"), sleep("b"), END],
        [
            edge("s", "if"),
            edge("if", "a", "yes"),
            edge("a", "a2"),
            edge("a2", "a3"),
            edge("a3", "end"),
            edge("if", "b", "false"),
            edge("b", "end"),
        ],
        {"flag": "n"},
        {"s", "if", "b", "end"},
        {"a", "a2", "a3"},
    ),
    (
        "nested_parallel_branches",
        [
            start(),
            sleep("a", 0.01),
            sleep("a1", 0.02),
            sleep("a2"),
            sleep("aj"),
            sleep("b", 0.05),
            sleep("j"),
            END,
        ],
        [
            edge("s", "a"),
            edge("s", "b"),
            edge("a", "a1"),
            edge("a", "a2"),
            edge("a1", "aj"),
            edge("a2", "aj"),
            edge("aj", "j"),
            edge("b", "j"),
            edge("j", "end"),
        ],
        {},
        {"s", "a", "a1", "a2", "aj", "b", "j", "end"},
        set(),
    ),
    (
        "two_cases_into_one_node",
        [start("flag"), if_flag(), sleep("a"), END],
        [edge("s", "if"), edge("if", "a", "yes"), edge("if", "a", "false"), edge("a", "end")],
        {"flag": "n"},
        {"s", "if", "a", "end"},
        set(),
    ),
]


@pytest.mark.parametrize(
    ("name", "nodes", "edges", "inputs", "ran", "skipped"), CASES, ids=[c[0] for c in CASES]
)
async def test_join_table(
    name: str,
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    inputs: dict[str, str],
    ran: set[str],
    skipped: set[str],
) -> None:
    graph = build(nodes, edges)
    events = await run(graph, inputs=inputs)
    started = node_ids(events, "node_started")
    assert len(started) == len(set(started)), f"a node started twice: {started}"
    assert set(started) == ran
    assert set(node_ids(events, "node_skipped")) == skipped
    assert events[-1].kind == "run_finished"
    assert events[-1].status == "succeeded"
    # every node starts only after each predecessor that ran has succeeded
    for target in ran:
        for source, _handle in graph.predecessors[target]:
            if source in ran:
                assert seq_of(events, "node_succeeded", source) < seq_of(
                    events, "node_started", target
                ), f"{target} started before {source} finished"
    # a skipped node's event comes after every predecessor is resolved
    for target in skipped:
        (skip,) = [e for e in by_kind(events, "node_skipped") if e.node_id == target]
        for source, _handle in graph.predecessors[target]:
            done = [
                e.seq
                for e in events
                if getattr(e, "node_id", None) == source
                and e.kind in {"node_succeeded", "node_skipped"}
            ]
            assert done
            assert done[0] < skip.seq


async def test_join_fast_branch_never_waits_for_slow_sibling() -> None:
    graph = build(
        [start(), sleep("fast"), sleep("fast2"), sleep("slow", 0.2), sleep("j"), END],
        [
            edge("s", "fast"),
            edge("fast", "fast2"),
            edge("s", "slow"),
            edge("fast2", "j"),
            edge("slow", "j"),
            edge("j", "end"),
        ],
    )
    events = await run(graph)
    slow_done = seq_of(events, "node_succeeded", "slow")
    assert seq_of(events, "node_succeeded", "fast2") < slow_done
    assert seq_of(events, "node_started", "j") > slow_done
    assert seq_of(events, "node_started", "fast2") < slow_done  # it did not wait for slow


async def test_join_parallel_branches_run_concurrently() -> None:
    mids = [f"m{i}" for i in range(5)]
    graph = build(
        [start(), *(sleep(m, 0.1) for m in mids), END],
        [*(edge("s", m) for m in mids), *(edge(m, "end") for m in mids)],
    )
    events = await run(graph)
    # all five are running before the first finishes: in sequence, each would start after one ended
    first_done = min(seq_of(events, "node_succeeded", m) for m in mids)
    assert max(seq_of(events, "node_started", m) for m in mids) < first_done


async def test_join_runs_once_with_event_kinds() -> None:
    graph = build(
        [start(), sleep("a"), sleep("b", 0.02), END],
        [edge("s", "a"), edge("s", "b"), edge("a", "end"), edge("b", "end")],
    )
    events = await run(graph)
    assert kinds(events, "end") == ["node_started", "node_succeeded"]
    assert kinds(events)[0] == "run_started"
    assert kinds(events)[-1] == "run_finished"
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(e.at.tzinfo is not None for e in events)


async def test_node_started_carries_inputs_and_predecessor() -> None:
    graph = build(
        [
            start("flag"),
            node(
                "t",
                "template",
                template="{{ f }}!",
                variables=[{"variable": "f", "value_selector": ["s", "flag"]}],
            ),
            node("end", "end", outputs=[{"variable": "o", "value_selector": ["t", "output"]}]),
        ],
        [edge("s", "t"), edge("t", "end")],
    )
    events = await run(graph, inputs={"flag": "y"}, sys={"query": "q"})
    started = {e.node_id: e for e in by_kind(events, "node_started")}
    assert started["t"].inputs == {"s.flag": "y"}
    assert started["t"].predecessor_node_id == "s"
    assert [started[n].index for n in ("s", "t", "end")] == [1, 2, 3]
    assert events[-1].outputs == {"o": "y!"}
    assert events[-1].total_steps == 3
