"""A run's trace as a person reads it: what "run from here" reused, then what it ran.

A re-run from a node stores rows only for the nodes it ran (`Run.reused_from` names the run whose
results it reused), so its trace alone would start half-way through the workflow. Reading it
follows that chain back and puts the reused nodes' rows first, each saying which run ran it.

The runs of a node inside an iteration or loop are read under their container, a heading per item
or round (`trace_lines`), as the editor shows them (frontend/src/run/groups.ts).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from builder.models import NodeRun, Run
from runtime.nodes import registry

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


class TraceLine(NamedTuple):
    """A row as the run page shows it: the heading of the item it opens ("Each · Item 2", ""
    when it opens none) and how many containers it is inside."""

    row: NodeRun
    reused_from: str | None
    heading: str
    depth: int


ItemKey = tuple[str, tuple[int, ...]]  # a container and the path of one of its items


def trace_lines(trace: list[TraceRow]) -> list[TraceLine]:
    """The trace in reading order: each top-level row, and after a container's row its items (an
    iteration's items, a loop's rounds) in the order they started, each under a heading and its
    rows in start order, even when the items ran in parallel. A row whose container has no row
    (a debug run of one node) comes last, under its heading still."""
    items: dict[ItemKey | None, list[TraceRow]] = {}
    inner: dict[ItemKey, list[ItemKey]] = {}  # a container's run (_key) → its items
    for entry in trace:
        row = entry[0]
        key = (row.container_id, tuple(row.iteration_path)) if row.iteration_path else None
        if key not in items:
            items[key] = []
            if key is not None:
                inner.setdefault((key[0], key[1][:-1]), []).append(key)
        items[key].append(entry)
    runs = {_key(row): row for row, _ in trace}
    lines: list[TraceLine] = []
    done: set[ItemKey | None] = set()

    def emit(key: ItemKey | None) -> None:
        if key in done:
            return
        done.add(key)
        for i, (row, reused_from) in enumerate(items.get(key, [])):
            heading = _heading(row, runs) if i == 0 and key is not None else ""
            lines.append(TraceLine(row, reused_from, heading, len(row.iteration_path)))
            for item in inner.get(_key(row), []):
                emit(item)

    emit(None)
    for key in list(items):
        emit(key)
    return lines


def _heading(row: NodeRun, runs: dict[ItemKey, NodeRun]) -> str:
    """The heading of the item `row` opens: "Each · Item 2" (an iteration's), "Retry · Round 3"
    (a loop's)."""
    container = runs.get((row.container_id, tuple(row.iteration_path[:-1])))
    title = (container.title if container else "") or row.container_id
    word = registry.inner_run_names().get(container.node_type, "item") if container else "item"
    return f"{title} · {word.capitalize()} {row.iteration_path[-1] + 1}"


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
