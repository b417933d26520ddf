"""The join state of one graph run: which incoming edges are taken, skipped or still pending.

The join rule itself is stated in `runtime.compile`. This object is its only implementation: the
engine feeds it each node that finishes (or is skipped), a seeded run ("rerun from node") feeds
it the seeded nodes first, and a container node (iteration, loop) can keep one per sub-graph run,
since it holds nothing but the edge tables of the graph it was built for.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping

Edges = Mapping[str, tuple[tuple[str, str], ...]]  # node → ((handle, target), …)
Ready = list[tuple[str, str]]  # (node now ready, the predecessor that made it ready)


class JoinState:
    """Edge counts of one run of a graph; `left` counts nodes neither finished nor skipped."""

    __slots__ = ("left", "remaining", "successors", "taken")

    def __init__(self, successors: Edges, in_degree: Mapping[str, int]) -> None:
        self.successors = successors
        self.remaining = dict(in_degree)  # incoming edges not resolved yet
        self.taken = dict.fromkeys(in_degree, 0)  # incoming edges taken so far
        self.left = len(in_degree)

    @property
    def finished(self) -> bool:
        """Whether every node has finished or been skipped."""
        return self.left == 0

    def resolve(
        self, node_id: str, handle: str | None, skipped: list[str], done: Container[str] = ()
    ) -> Ready:
        """`node_id` finished taking `handle` (None: it was skipped). Returns the nodes now
        ready; appends to `skipped` each node that every incoming edge skipped (the skip runs
        on downstream). Edges into `done` nodes (already finished, as seeded ones) are ignored."""
        ready: Ready = []
        stack: list[tuple[str, str | None]] = [(node_id, handle)]
        remaining, taken, successors = self.remaining, self.taken, self.successors
        self.left -= 1
        while stack:
            src, h = stack.pop()
            for edge_handle, target in successors[src]:
                if target in done:
                    continue
                if edge_handle == h:
                    taken[target] += 1
                remaining[target] -= 1
                if remaining[target] == 0:
                    if taken[target]:
                        ready.append((target, src))
                    else:
                        self.left -= 1
                        skipped.append(target)
                        stack.append((target, None))
        return ready

    def seed(
        self,
        order: Iterable[str],
        seed: Mapping[str, tuple[object, str | None]],
        skipped: list[str],
    ) -> Ready:
        """Count the seeded nodes (visited in topological `order`) as finished with their seeded
        handle; returns the nodes then ready, and appends the nodes skipped to `skipped`."""
        ready: Ready = []
        for node_id in order:
            if node_id in seed:
                ready += self.resolve(node_id, seed[node_id][1], skipped, seed)
        return ready
