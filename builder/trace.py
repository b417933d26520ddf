"""A run's trace as a person reads it: what "run from here" reused, then what it ran.

A re-run from a node stores rows only for the nodes it ran (`Run.reused_from` names the run whose
results it reused), so its trace alone would start half-way through the workflow. Reading it
follows that chain back and puts the reused nodes' rows first, each saying which run ran it.
"""

from __future__ import annotations

from typing import Any

from builder.models import NodeRun, Run

TraceRow = tuple[NodeRun, str | None]  # a node's row and the run it was reused from (None: ran)


def trace_of(run: Run) -> list[TraceRow]:
    """Each run of each node of `run` once (a node inside an iteration or loop once per item or
    round): those it reused from earlier runs, then those it ran; a node's
    latest result wins. A re-run runs what lies downstream of its node, so the oldest run's rows
    come first, each run's in its start order."""
    own = list(run.node_runs.all())
    have = {_key(n) for n in own}
    reused: list[tuple[int, int, TraceRow]] = []  # (-depth, index, row): older runs first
    seen = {run.pk}
    source = run.reused_from
    while source is not None and source.pk not in seen:
        seen.add(source.pk)
        for row in source.node_runs.all():
            if _key(row) not in have:
                have.add(_key(row))
                reused.append((-len(seen), row.index, (row, str(source.pk))))
        source = source.reused_from
    reused.sort(key=lambda r: r[:2])
    return [*(r[2] for r in reused), *((row, None) for row in own)]


def _key(row: NodeRun) -> tuple[str, tuple[int, ...]]:
    """A row's node and its run of it: a node inside an iteration or loop has one per item."""
    return (row.node_id, tuple(row.iteration_path))


def results_of(run: Run) -> dict[str, tuple[str, dict[str, Any], str]]:
    """Each top-level node's (status, outputs, handle) in `run`, reused results included (a
    re-run starts at a top-level node: what ran inside a container stays inside it)."""
    return {
        row.node_id: (row.status, row.outputs, row.handle)
        for row, _ in trace_of(run)
        if not row.iteration_path
    }
