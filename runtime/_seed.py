"""Seeded runs (re-running from a node): nodes that count as finished before the run starts.

A seed maps node ids to the outputs and handle of an earlier run (handle None: it was skipped).
Seeded nodes emit no events; their edges resolve by the engine's join rule, so an untaken
if-else branch stays skipped and a join waits only for the nodes that run again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from runtime._join import JoinState
from runtime._plan import NodePlan
from runtime._streaming import AnswerStream
from runtime.compile import CompiledGraph
from runtime.variables import VariablePool, to_text

Seed = Mapping[str, tuple[Mapping[str, Any], str | None]]


class _Run(Protocol):
    """What seeding reads and writes of a run (the engine's run, or a container's sub-run)."""

    g: CompiledGraph
    pool: VariablePool
    join: JoinState
    streams: dict[str, AnswerStream]
    routes: dict[str, list[AnswerStream]]
    end_outputs: dict[str, Any]
    answer: list[str]

    def skipped(self, node_ids: list[str]) -> None: ...

    def chunks(self, answer_id: str, pieces: list[str]) -> None: ...


def check_seed(graph: CompiledGraph, seed: Mapping[str, Any]) -> None:
    """Refuse a seed that leaves out an ancestor of a seeded node (it would run twice)."""
    for node_id in seed:
        for src, _ in graph.predecessors.get(node_id, ()):
            if src not in seed:
                raise ValueError(f"seeded node {node_id} needs its predecessor {src} seeded too")


def seed_run(run: _Run, seed: Seed) -> list[tuple[str, str]]:
    """Count the seeded nodes as finished, without events; return the nodes now ready."""
    plans, pool = run.g.plans, run.pool
    for node_id, (outputs, _) in seed.items():
        if node_id not in plans:
            pool.set_outputs(node_id, outputs)  # a value, not a node of this graph
        elif node_id in run.streams:
            run.streams[node_id].finish(None)  # a reused answer node shows nothing new
    order = [n for gen in run.g.generations for n in gen if n in seed]
    for node_id in order:
        outputs, handle = seed[node_id]
        if handle is not None:
            pool.set_outputs(node_id, outputs)
            _seeded_output(run, plans[node_id], outputs)
    skipped: list[str] = []
    ready = run.join.seed(order, seed, skipped)
    run.skipped(skipped)
    return ready


def _seeded_output(run: _Run, plan: NodePlan, outputs: Mapping[str, Any]) -> None:
    """What a finished node adds to the run's result and to the answers that stream it."""
    if plan.gives_run_outputs:
        run.end_outputs.update(outputs)
    elif plan.answer_port is not None:
        run.answer.append(to_text(outputs.get(plan.answer_port)))
    node_id = plan.node_id
    for stream in run.routes.get(node_id, ()):
        for port in sorted({sel[1] for sel in stream.plan.streamable if sel[0] == node_id}):
            text = to_text(outputs.get(port))
            run.chunks(stream.plan.answer_id, stream.on_delta(node_id, port, text))
        run.chunks(stream.plan.answer_id, stream.on_done(node_id))
