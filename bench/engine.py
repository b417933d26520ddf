"""Weft's engine vs LangGraph on the same no-op graphs, in one process.

Graphs: a 10-node chain and a 52-node fan-out/fan-in (1 → 50 parallel → 1). Weft runs with
everything a real run has on: typed events (all consumed), the variable pool, a per-node
timeout and a cancel flag. Prints median µs per node; the last stdout line is one JSON object.
Usage: python -m bench.engine [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from time import perf_counter
from typing import Any, TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from langgraph.graph import END, START, StateGraph

from runtime.compile import CompiledGraph, compile_workflow
from runtime.engine import Engine, RunContext
from runtime.nodes import registry
from runtime.nodes.base import Done, Node, NodeConfig, NodeContext, NodeOutput
from runtime.spec import WorkflowSpec

SETTINGS = {"timeout_s": 30.0}


class NoopConfig(NodeConfig):
    pass


class NoopNode(Node[NoopConfig]):
    type_title = "No-op"

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Do nothing."""
        yield Done({})


class _State(TypedDict, total=False):
    x: int


def _node(node_id: str, type_id: str) -> dict[str, Any]:
    return {"id": node_id, "type": type_id, "settings": SETTINGS}


def weft_chain(n: int) -> CompiledGraph:
    """start → (n-2) no-op nodes → end."""
    ids = ["start", *(f"n{i}" for i in range(n - 2)), "end"]
    types = ["start", *["bench_noop"] * (n - 2), "end"]
    edges = [{"source": a, "target": b} for a, b in itertools.pairwise(ids)]
    nodes = [_node(i, t) for i, t in zip(ids, types, strict=True)]
    return compile_workflow(WorkflowSpec(mode="workflow", nodes=nodes, edges=edges))


def weft_fanout(width: int) -> CompiledGraph:
    """start → `width` parallel no-op nodes → end."""
    mids = [f"p{i}" for i in range(width)]
    nodes = [_node("start", "start"), *(_node(m, "bench_noop") for m in mids), _node("end", "end")]
    edges = [{"source": "start", "target": m} for m in mids]
    edges += [{"source": m, "target": "end"} for m in mids]
    return compile_workflow(WorkflowSpec(mode="workflow", nodes=nodes, edges=edges))


async def _noop(state: _State) -> dict[str, Any]:
    return {}


def lg_chain(n: int) -> Any:
    """The same chain in LangGraph."""
    g = StateGraph(_State)
    ids = [f"n{i}" for i in range(n)]
    for i in ids:
        g.add_node(i, _noop)
    g.add_edge(START, ids[0])
    for a, b in itertools.pairwise(ids):
        g.add_edge(a, b)
    g.add_edge(ids[-1], END)
    return g.compile()


def lg_fanout(width: int) -> Any:
    """The same fan-out/fan-in in LangGraph."""
    g = StateGraph(_State)
    mids = [f"p{i}" for i in range(width)]
    for i in ["start", *mids, "end"]:
        g.add_node(i, _noop)
    g.add_edge(START, "start")
    for m in mids:
        g.add_edge("start", m)
    g.add_edge(mids, "end")
    g.add_edge("end", END)
    return g.compile()


async def _time(run: Callable[[], Awaitable[None]], runs: int, warmup: int) -> float:
    for _ in range(warmup):
        await run()
    samples = []
    for _ in range(runs):
        t = perf_counter()
        await run()
        samples.append(perf_counter() - t)
    return statistics.median(samples)


def weft_runner(graph: CompiledGraph) -> Callable[[], Awaitable[None]]:
    """One full Weft run, every event consumed; checks that it succeeded."""
    engine = Engine(graph)

    async def run() -> None:
        last = None
        async for ev in engine.run(RunContext(run_id="bench")):
            last = ev
        if last is None or last.kind != "run_finished" or last.status != "succeeded":
            raise RuntimeError(f"bench run did not succeed: {last}")

    return run


def lg_runner(app: Any) -> Callable[[], Awaitable[None]]:
    """One full LangGraph run."""

    async def run() -> None:
        await app.ainvoke({"x": 0})

    return run


async def main(runs: int, warmup: int) -> dict[str, float]:
    """Run both benches and return the figures."""
    out: dict[str, float] = {}
    with registry.temporary("bench_noop", NoopNode):
        for name, n, weft, lg in (
            ("chain", 10, weft_chain(10), lg_chain(10)),
            ("fanout", 52, weft_fanout(50), lg_fanout(50)),
        ):
            w = await _time(weft_runner(weft), runs, warmup) / n * 1e6
            g = await _time(lg_runner(lg), runs, warmup) / n * 1e6
            out[f"{name}_weft_us_per_node"] = round(w, 2)
            out[f"{name}_langgraph_us_per_node"] = round(g, 2)
            print(f"{name}: weft {w:.2f} µs/node, langgraph {g:.2f} µs/node, ratio {w / g:.3f}")
    ratios = [
        out[f"{k}_weft_us_per_node"] / out[f"{k}_langgraph_us_per_node"]
        for k in ("chain", "fanout")
    ]
    out["ratio"] = round(max(ratios), 4)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (< 1 minute)")
    parser.add_argument("--runs", type=int, default=None)
    args = parser.parse_args()
    runs = args.runs or (100 if args.quick else 1000)
    result = asyncio.run(main(runs, warmup=max(10, runs // 10)))
    print(json.dumps(result))
