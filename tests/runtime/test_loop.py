"""The loop container: rounds until its break condition holds or its maximum count."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.runtime.containers import ProbeNode, around, registered
from tests.runtime.helpers import build, by_kind, edge, node, run


@pytest.fixture(autouse=True)
def _types() -> Iterator[None]:
    yield from registered()


def _counter(start: Any = 0, value_type: str = "constant") -> dict[str, Any]:
    """A loop variable `n` that the inner node `inc` adds one to each round."""
    return {
        "label": "n",
        "var_type": "number",
        "value_type": value_type,
        "value": start,
        "update_selector": ["inc", "sum"],
    }


def _at_least(limit: int) -> list[dict[str, Any]]:
    return [{"variable_selector": ["loop", "n"], "comparison_operator": "≥", "value": limit}]


def _loop(items: Any = None, **config: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """start → items → loop (start → inc) → end, the end outputting the loop's `n`."""
    config.setdefault("loop_variables", [_counter()])
    children = [node("loop_s", "loop_start"), node("inc", "add", value=["loop", "n"])]
    loop = node("loop", "loop", **config)
    return around(loop, children, [edge("loop_s", "inc")], items, output=["loop", "n"])


def _rounds(events: list[Any]) -> list[tuple[str | None, Any]]:
    return [
        (e.container_id, e.iteration_path)
        for e in by_kind(events, "node_succeeded")
        if e.node_id == "inc"
    ]


async def test_loop_runs_until_its_break_condition_holds() -> None:
    events = await run(build(*_loop(loop_count=10, break_conditions=_at_least(3))))
    assert events[-1].status == "succeeded", events[-1].error
    assert events[-1].outputs == {"out": 3}
    (loop_done,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == "loop"]
    assert loop_done.outputs == {"n": 3, "rounds": 3}
    assert _rounds(events) == [("loop", [0]), ("loop", [1]), ("loop", [2])]


async def test_loop_stops_at_its_maximum_count() -> None:
    events = await run(build(*_loop(loop_count=4, break_conditions=_at_least(100))))
    (loop_done,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == "loop"]
    assert loop_done.outputs == {"n": 4, "rounds": 4}


async def test_loop_without_a_break_condition_runs_its_maximum() -> None:
    events = await run(build(*_loop(loop_count=3)))
    (loop_done,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == "loop"]
    assert loop_done.outputs == {"n": 3, "rounds": 3}


async def test_loop_whose_condition_holds_at_first_runs_no_round() -> None:
    config = {"loop_variables": [_counter(5)], "break_conditions": _at_least(3)}
    events = await run(build(*_loop(**config)))
    assert events[-1].outputs == {"out": 5}
    assert _rounds(events) == []


async def test_loop_variable_starts_from_another_nodes_value() -> None:
    config = {"loop_variables": [_counter(["list", "items"], "variable")], "loop_count": 2}
    events = await run(build(*_loop(7, **config)))
    assert events[-1].outputs == {"out": 9}


async def test_loop_break_condition_may_read_a_node_inside() -> None:
    over = [{"variable_selector": ["inc", "sum"], "comparison_operator": ">", "value": 1}]
    events = await run(build(*_loop(break_conditions=over, logical_operator="or")))
    assert events[-1].outputs == {"out": 2}


async def test_loop_fails_with_the_round_of_a_failed_node_inside() -> None:
    nodes, edges = _loop(loop_count=5)
    probe = {**node("p", "probe", text="{{#loop.index#}}", fail_if="2"), "title": "Probe"}
    nodes.insert(4, {**probe, "parentId": "loop"})
    edges.append(edge("inc", "p"))
    events = await run(build(nodes, edges))
    assert events[-1].status == "failed"
    assert events[-1].error == "round 3: Probe failed: probe refused 2"
    assert ProbeNode.calls == 3


async def test_loop_with_nothing_inside_but_its_start_runs_its_rounds() -> None:
    nodes, edges = _loop(loop_count=3, loop_variables=[])
    nodes = [n for n in nodes if n["id"] != "inc"]
    nodes[-1]["config"]["outputs"][0]["value_selector"] = ["loop", "rounds"]
    events = await run(build(nodes, [e for e in edges if e["target"] != "inc"]))
    assert events[-1].outputs == {"out": 3}
    assert [e.iteration_path for e in by_kind(events, "node_started") if e.node_id == "loop_s"] == [
        [0],
        [1],
        [2],
    ]
