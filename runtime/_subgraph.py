"""Scopes: one run of one graph's nodes. The workflow's top level is one; each run of a
container's sub-graph (an iteration's item, a loop's round) is another, with its own variable
pool (forked from the container's), its own JoinState and its own tasks.

The engine runs every node the same way whatever its scope; a scope only decides where a node's
outputs go, which edges its finishing resolves, what its events are tagged with, and what a
failure ends: the run at the top level, the sub-graph's run (the container then decides) inside.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

from runtime._containers import Edges, SubGraph
from runtime._join import JoinState
from runtime._plan import NodePlan
from runtime.variables import VariablePool


class Scope:
    """The state of one run of one graph: its plans, pool, join state and tasks."""

    __slots__ = ("closed", "done", "join", "plans", "pool", "tags", "tasks")

    def __init__(
        self,
        plans: Mapping[str, NodePlan],
        successors: Edges,
        in_degree: Mapping[str, int],
        pool: VariablePool,
        tasks: set[asyncio.Task[None]],
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        self.plans = plans
        self.join = JoinState(successors, in_degree)
        self.pool = pool
        self.tasks = tasks
        self.tags = dict(tags or {})  # container_id and iteration_path of its node events
        self.done: asyncio.Future[None] | None = None  # a sub-graph run's: resolved at its end
        self.closed = False  # a sub-graph run that ended: its nodes stop quietly

    @property
    def nested(self) -> bool:
        """Whether this is a run of a container's sub-graph."""
        return self.done is not None

    def finish(self, exc: BaseException | None = None) -> None:
        """End a sub-graph run: every node done, or a node failed with `exc`."""
        done = self.done
        if done is None or done.done() or self.closed:
            return
        self.closed = True
        if exc is None:
            done.set_result(None)
        else:
            done.set_exception(exc)


class _Engine(Protocol):
    def spawn(self, scope: Scope, node_id: str, pred: str | None) -> None: ...


class Children:
    """A container's `SubGraphRunner`: each `run` is a fresh scope over its sub-graph."""

    __slots__ = ("container_id", "engine", "parent", "sub")

    def __init__(self, engine: _Engine, container_id: str, sub: SubGraph, parent: Scope) -> None:
        self.engine, self.container_id, self.sub, self.parent = engine, container_id, sub, parent

    async def run(self, values: Mapping[str, Any], index: int) -> VariablePool:
        """Run the sub-graph once with the container's variables `values`; the pool it ends
        with. A child's failure is raised (InnerNodeError); cancelling this cancels the run."""
        sub, parent = self.sub, self.parent
        pool = parent.pool.fork()
        pool.set_outputs(self.container_id, dict(values))
        path = [*(parent.tags.get("iteration_path") or ()), index]
        tags = {"container_id": self.container_id, "iteration_path": path}
        scope = Scope(sub.plans, sub.successors, sub.in_degree, pool, set(), tags)
        scope.done = asyncio.get_running_loop().create_future()
        self.engine.spawn(scope, sub.entry_id, None)
        try:
            await scope.done
        finally:
            scope.closed = True
            tasks = [t for t in scope.tasks if not t.done()]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
        return pool
