"""The iteration container: its nodes run once per item, in order or in parallel with a limit,
with each error mode, nested, cancelled and timed out."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from runtime.engine import Engine, RunContext
from tests.runtime.containers import ProbeNode, around, inside, iteration, registered
from tests.runtime.helpers import build, by_kind, edge, node, run


@pytest.fixture(autouse=True)
def _types() -> Iterator[None]:
    yield from registered()


def _spec(
    items: Any, probe: dict[str, Any] | None = None, **config: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An iteration `it` over `items` whose one inner node `p` renders index:item."""
    p = probe or node("p", "probe", text="{{#it.index#}}:{{#it.item#}}")
    children = [node("it_s", "iteration_start"), p]
    return around(iteration(**config), children, [edge("it_s", "p")], items)


def _tagged(events: list[Any], kind: str, node_id: str) -> list[tuple[str | None, Any]]:
    return [
        (e.container_id, e.iteration_path) for e in by_kind(events, kind) if e.node_id == node_id
    ]


async def test_iteration_runs_its_nodes_once_per_item_in_order() -> None:
    events = await run(build(*_spec(["a", "b", "c"])))
    finished = events[-1]
    assert finished.status == "succeeded", finished.error
    assert finished.outputs == {"out": ["0:a", "1:b", "2:c"]}
    assert _tagged(events, "node_succeeded", "p") == [("it", [0]), ("it", [1]), ("it", [2])]
    assert _tagged(events, "node_started", "it") == [(None, None)]
    assert ProbeNode.peak == 1


async def test_iteration_parallel_keeps_item_order_and_its_limit() -> None:
    delays = {f"{i}:{x}": 0.04 - 0.01 * i for i, x in enumerate("abcd")}
    probe = node("p", "probe", text="{{#it.index#}}:{{#it.item#}}", delays=delays, delay=0.01)
    spec = _spec(list("abcdef"), probe, is_parallel=True, parallel_nums=2)
    events = await run(build(*spec))
    assert events[-1].outputs == {"out": [f"{i}:{x}" for i, x in enumerate("abcdef")]}
    assert ProbeNode.calls == 6
    assert ProbeNode.peak == 2  # never more than parallel_nums at once, and parallel indeed
    done = [path[0] for _, path in _tagged(events, "node_succeeded", "p")]
    assert done != sorted(done)  # items finished out of order, yet the output is in order


async def test_iteration_parallel_without_limit_runs_every_item_at_once() -> None:
    probe = node("p", "probe", text="{{#it.item#}}", delay=0.02)
    await run(build(*_spec(list("abcde"), probe, is_parallel=True)))
    assert ProbeNode.peak == 5


@pytest.mark.parametrize("parallel", [False, True])
async def test_iteration_terminated_mode_fails_on_the_first_failed_item(parallel: bool) -> None:
    probe = {**node("p", "probe", text="{{#it.item#}}", fail_if="bad"), "title": "Probe"}
    events = await run(build(*_spec(["a", "bad", "c"], probe, is_parallel=parallel)))
    finished = events[-1]
    assert finished.status == "failed"
    assert finished.failed_node_id == "it"
    assert finished.error_code == "InnerNodeError"
    assert finished.error == "item 2: Probe failed: probe refused bad"
    (child_failure,) = [e for e in by_kind(events, "node_failed") if e.node_id == "p"]
    assert (child_failure.container_id, child_failure.iteration_path) == ("it", [1])
    assert child_failure.error_code == "ValueError"


@pytest.mark.parametrize(
    ("mode", "output"),
    [("continue-on-error", ["a", None, "c"]), ("remove-abnormal-output", ["a", "c"])],
)
async def test_iteration_error_modes_go_on_after_a_failed_item(
    mode: str, output: list[Any]
) -> None:
    probe = node("p", "probe", text="{{#it.item#}}", fail_if="bad")
    events = await run(build(*_spec(["a", "bad", "c"], probe, error_handle_mode=mode)))
    assert events[-1].status == "succeeded"
    assert events[-1].outputs == {"out": output}


async def test_iteration_a_node_inside_with_default_value_does_not_fail_its_item() -> None:
    settings = {"error_strategy": "default_value", "default_outputs": {"text": "dflt"}}
    probe = node("p", "probe", text="{{#it.item#}}", fail_if="bad", settings=settings)
    events = await run(build(*_spec(["a", "bad"], probe)))
    assert events[-1].outputs == {"out": ["a", "dflt"]}


async def test_iteration_refuses_an_input_that_is_not_a_list() -> None:
    events = await run(build(*_spec("abc")))
    assert events[-1].status == "failed"
    assert events[-1].error_code == "IterationInputError"
    assert "list.items" in events[-1].error
    assert ProbeNode.calls == 0


async def test_iteration_of_no_items_outputs_an_empty_list() -> None:
    events = await run(build(*_spec([])))
    assert events[-1].outputs == {"out": []}
    assert [e.node_id for e in by_kind(events, "node_started")] == ["s", "list", "it", "end"]


async def test_iteration_nested_in_an_iteration_reads_both_items() -> None:
    outer = iteration("outer", output_selector=["in", "output"])
    inner = iteration("in", iterator_selector=["outer", "item"])
    probe = node("p", "probe", text="{{#outer.index#}}-{{#in.item#}}")
    children = [
        node("outer_s", "iteration_start"),
        inner,
        inside("in", node("in_s", "iteration_start")),
        inside("in", probe),
    ]
    edges = [edge("outer_s", "in"), edge("in_s", "p")]
    events = await run(build(*around(outer, children, edges, [[1, 2], [3]])))
    assert events[-1].status == "succeeded", events[-1].error
    assert events[-1].outputs == {"out": [["0-1", "0-2"], ["1-3"]]}
    assert _tagged(events, "node_succeeded", "p") == [
        ("in", [0, 0]),
        ("in", [0, 1]),
        ("in", [1, 0]),
    ]
    assert _tagged(events, "node_succeeded", "in") == [("outer", [0]), ("outer", [1])]


async def test_iteration_each_item_has_its_own_join_state() -> None:
    cond = {"variable_selector": ["it", "item"], "comparison_operator": "is", "value": "y"}
    children = [
        node("it_s", "iteration_start"),
        node("if", "if_else", cases=[{"case_id": "yes", "conditions": [cond]}]),
        node("yes", "probe", text="yes"),
        node("no", "probe", text="no"),
        node("join", "variable_aggregator", variables=[["yes", "text"], ["no", "text"]]),
    ]
    edges = [
        edge("it_s", "if"),
        edge("if", "yes", "yes"),
        edge("if", "no", "false"),
        edge("yes", "join"),
        edge("no", "join"),
    ]
    it = iteration(output_selector=["join", "output"])
    events = await run(build(*around(it, children, edges, ["y", "n", "y"])))
    assert events[-1].outputs == {"out": ["yes", "no", "yes"]}
    assert _tagged(events, "node_skipped", "no") == [("it", [0]), ("it", [2])]


async def test_iteration_stops_its_items_when_the_run_is_cancelled() -> None:
    probe = node("p", "probe", text="{{#it.item#}}", delay=30)
    graph = build(*_spec(list("abc"), probe, is_parallel=True))
    ctx = RunContext(run_id="r")
    events: list[Any] = []
    async for event in Engine(graph).run(ctx):
        events.append(event)
        if event.kind == "node_started" and event.node_id == "p":
            ctx.cancel.set()
    assert events[-1].status == "stopped"
    assert ProbeNode.running == 0  # every item's probe was cancelled, none left behind
    await asyncio.sleep(0)


async def test_iteration_times_out_as_a_whole_and_stops_its_items() -> None:
    probe = node("p", "probe", text="{{#it.item#}}", delay=30)
    nodes, edges = _spec(list("ab"), probe)
    nodes[2]["settings"] = {"timeout_s": 0.05}
    events = await run(build(nodes, edges))
    assert events[-1].status == "failed"
    assert (events[-1].failed_node_id, events[-1].error_code) == ("it", "NodeTimeoutError")
    assert ProbeNode.running == 0


async def test_iteration_a_node_inside_times_out_by_its_own_setting() -> None:
    probe = node("p", "probe", text="{{#it.item#}}", delay=30, settings={"timeout_s": 0.02})
    events = await run(build(*_spec(["a"], probe, error_handle_mode="continue-on-error")))
    assert events[-1].outputs == {"out": [None]}
    (failure,) = by_kind(events, "node_failed")
    assert (failure.node_id, failure.error_code) == ("p", "NodeTimeoutError")
