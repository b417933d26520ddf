"""Retry, timeout, error strategies and cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from runtime.engine import Engine, RunContext
from runtime.nodes import registry
from runtime.nodes.base import Done, Node, NodeConfig, NodeContext, NodeOutput
from runtime.resources import MODELS, Resources
from tests.fakes import FakeModels
from tests.runtime.helpers import build, by_kind, edge, kinds, node, node_ids, run, start

END = node("end", "end", outputs=[{"variable": "out", "value_selector": ["f", "calls"]}])


def flaky(fail_times: int, delay: float = 0.0, **settings: Any) -> dict[str, Any]:
    return node("f", "flaky", fail_times=fail_times, delay=delay, settings=settings)


async def test_retry_succeeds_after_failures() -> None:
    graph = build(
        [start(), flaky(2, retry={"max_attempts": 3, "interval_s": 0.01}), END],
        [edge("s", "f"), edge("f", "end")],
    )
    events = await run(graph)
    (done,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == "f"]
    assert done.attempts == 3
    assert events[-1].status == "succeeded"
    assert events[-1].outputs == {"out": 3}


async def test_retry_exhausted_fails_run() -> None:
    graph = build(
        [start(), flaky(5, retry={"max_attempts": 2}), END], [edge("s", "f"), edge("f", "end")]
    )
    events = await run(graph)
    assert kinds(events) == [
        "run_started",
        "node_started",
        "node_succeeded",
        "node_started",
        "node_failed",
        "run_finished",
    ]
    failed = by_kind(events, "node_failed")[0]
    assert (failed.error_code, failed.attempts) == ("ValueError", 2)
    end = events[-1]
    assert (end.status, end.error_code, end.failed_node_id) == ("failed", "ValueError", "f")


async def test_timeout_fails_node_with_node_timeout_error() -> None:
    graph = build(
        [start(), flaky(0, delay=5, timeout_s=0.05), END], [edge("s", "f"), edge("f", "end")]
    )
    events = await asyncio.wait_for(run(graph), 2)
    assert events[-1].status == "failed"
    assert events[-1].error_code == "NodeTimeoutError"
    assert by_kind(events, "node_failed")[0].node_id == "f"


async def test_timeout_not_hit_by_fast_node() -> None:
    graph = build(
        [start(), flaky(0, delay=0.01, timeout_s=1), END], [edge("s", "f"), edge("f", "end")]
    )
    events = await run(graph)
    assert events[-1].status == "succeeded"


async def test_timeout_then_retry_succeeds() -> None:
    graph = build(
        [
            start(),
            node(
                "f",
                "flaky",
                fail_times=0,
                delay=0.01,
                settings={"timeout_s": 0.5, "retry": {"max_attempts": 2}},
            ),
            END,
        ],
        [edge("s", "f"), edge("f", "end")],
    )
    events = await run(graph)
    assert events[-1].status == "succeeded"


async def test_timeout_applies_to_each_attempt() -> None:
    graph = build(
        [
            start(),
            node(
                "f",
                "flaky",
                fail_times=0,
                first_delay=5,
                settings={"timeout_s": 0.1, "retry": {"max_attempts": 2}},
            ),
            END,
        ],
        [edge("s", "f"), edge("f", "end")],
    )
    events = await asyncio.wait_for(run(graph), 2)
    (done,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == "f"]
    assert done.attempts == 2
    assert events[-1].outputs == {"out": 2}


async def test_default_value_strategy_uses_default_outputs() -> None:
    graph = build(
        [start(), flaky(9, error_strategy="default_value", default_outputs={"calls": -1}), END],
        [edge("s", "f"), edge("f", "end")],
    )
    events = await run(graph)
    (done,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == "f"]
    assert (done.outputs, done.error_code, done.handle) == ({"calls": -1}, "ValueError", "source")
    assert events[-1].status == "succeeded"
    assert events[-1].outputs == {"out": -1}


def _fail_branch_graph(fail_times: int) -> Any:
    return build(
        [
            start(),
            flaky(fail_times, error_strategy="fail_branch"),
            node("ok", "sleep"),
            node("handler", "sleep"),
            node(
                "end", "end", outputs=[{"variable": "err", "value_selector": ["f", "error_type"]}]
            ),
        ],
        [
            edge("s", "f"),
            edge("f", "ok"),
            edge("f", "handler", "fail-branch"),
            edge("ok", "end"),
            edge("handler", "end"),
        ],
    )


async def test_fail_branch_strategy_takes_fail_branch() -> None:
    events = await run(_fail_branch_graph(1))
    (done,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == "f"]
    assert done.handle == "fail-branch"
    assert done.outputs == {"error_message": "flaky failure 1", "error_type": "ValueError"}
    assert node_ids(events, "node_skipped") == ["ok"]
    assert "handler" in node_ids(events, "node_started")
    assert events[-1].outputs == {"err": "ValueError"}


async def test_fail_branch_not_taken_on_success() -> None:
    events = await run(_fail_branch_graph(0))
    assert node_ids(events, "node_skipped") == ["handler"]
    assert events[-1].status == "succeeded"


async def test_fail_strategy_cancels_running_siblings() -> None:
    graph = build(
        [
            start(),
            node("f", "flaky", fail_times=1, delay=0.01),
            node("slow", "sleep", delay=5),
            node("end", "end", outputs=[]),
        ],
        [edge("s", "f"), edge("s", "slow"), edge("f", "end"), edge("slow", "end")],
    )
    events = await asyncio.wait_for(run(graph), 2)
    assert events[-1].status == "failed"
    assert "slow" not in node_ids(events, "node_succeeded")
    assert kinds(events)[-1] == "run_finished"


async def _run_until_stopped(
    delay: float,
) -> list[Any]:  # events; Any so tests read kind-specific fields
    graph = build(
        [start(), node("slow", "sleep", delay=delay), node("end", "end", outputs=[])],
        [edge("s", "slow"), edge("slow", "end")],
    )
    ctx = RunContext(run_id="r", resources=Resources().add(MODELS, FakeModels()))
    events: list[Any] = []
    async for ev in Engine(graph).run(ctx):
        events.append(ev)
        if ev.kind == "node_started" and ev.node_id == "slow":
            asyncio.get_running_loop().call_later(0.05, ctx.cancel.set)
    return events


async def test_cancel_stops_run_and_cancels_nodes() -> None:
    events = await asyncio.wait_for(_run_until_stopped(5), 2)
    assert kinds(events) == [
        "run_started",
        "node_started",
        "node_succeeded",
        "node_started",
        "run_finished",
    ]
    assert events[-1].status == "stopped"


async def test_cancel_before_start_stops_at_once() -> None:
    graph = build([start(), node("end", "end", outputs=[])], [edge("s", "end")])
    ctx = RunContext(run_id="r", resources=Resources().add(MODELS, FakeModels()))
    ctx.cancel.set()
    events: list[Any] = [ev async for ev in Engine(graph).run(ctx)]
    assert events[-1].status in {"stopped", "succeeded"}  # a race the run may win, never a hang
    assert kinds(events)[-1] == "run_finished"


async def test_engine_closes_tasks_when_consumer_stops_early() -> None:
    graph = build(
        [start(), node("slow", "sleep", delay=5), node("end", "end", outputs=[])],
        [edge("s", "slow"), edge("slow", "end")],
    )
    gen = Engine(graph).run(RunContext(run_id="r", resources=Resources().add(MODELS, FakeModels())))
    async for ev in gen:
        if ev.kind == "node_started" and ev.node_id == "slow":
            break
    await gen.aclose()
    await asyncio.sleep(0)
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert pending == [] or all(t.cancelling() for t in pending)


async def test_start_rejects_missing_required_input() -> None:
    graph = build(
        [
            node("s", "start", variables=[{"variable": "name", "type": "text"}]),
            node("end", "end", outputs=[]),
        ],
        [edge("s", "end")],
    )
    events = await run(graph, inputs={})
    assert events[-1].status == "failed"
    assert events[-1].error_code == "InputError"
    assert "name" in events[-1].error


class _SelfCancellingNode(Node[NodeConfig]):
    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Raise CancelledError on its own, as a misbehaving library might."""
        raise asyncio.CancelledError
        yield Done({})


async def test_node_raising_cancelled_error_fails_run_instead_of_hanging() -> None:
    with registry.temporary("self_cancel", _SelfCancellingNode):
        graph = build(
            [start(), node("x", "self_cancel"), node("end", "end", outputs=[])],
            [edge("s", "x"), edge("x", "end")],
        )
        events = await asyncio.wait_for(run(graph), 2)
    assert events[-1].status == "failed"
    assert events[-1].error_code == "CancelledError"
    assert events[-1].failed_node_id == "x"


class StrayOutputNode(Node[NodeConfig]):
    """Yields something that is neither a Delta nor a Done (a buggy node type)."""

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Yield a bare string."""
        yield "not an output"  # type: ignore[misc]  # the bug this test is about
        yield Done({})


async def test_errors_unknown_output_kind_fails_the_node_with_a_code() -> None:
    with registry.temporary("stray", StrayOutputNode):
        nodes = [start(), node("x", "stray"), node("end", "end")]
        graph = build(nodes, [edge("s", "x"), edge("x", "end")])
        events = await run(graph)
    (failed,) = by_kind(events, "node_failed")
    assert (failed.node_id, failed.error_code) == ("x", "NodeOutputError")
    assert "yielded a str" in failed.error
    assert events[-1].status == "failed"
