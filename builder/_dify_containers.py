"""Dify's events for container nodes in the Service API stream.

Dify streams an iteration (a loop) as `iteration_started`, then `iteration_next` as each item
begins, then `iteration_completed` (`loop_*` for a loop) instead of the container's own
node_started / node_finished; each node inside says where it ran with `iteration_id` and
`iteration_index` (`loop_id`, `loop_index`), on its data and in its `execution_metadata`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runtime.events import NodeFailed, NodeStarted, NodeSucceeded
from runtime.nodes import registry

NodeEnd = NodeSucceeded | NodeFailed


def container_kind(node_type: str) -> str | None:
    """ "iteration" or "loop" (Dify's event prefix: its node type) for a container type, else
    None. Containers are known by their capability, not by a list of type ids."""
    if registry.has(node_type) and registry.get(node_type).container_start is not None:
        return node_type
    return None


@dataclass
class ContainerTracker:
    """What the stream has said of each container: its kind, and the item each run is on."""

    kinds: dict[str, str] = field(default_factory=dict)  # container node id → kind
    # (container id, the path of the container's own run) → the item index last announced
    current: dict[tuple[str, tuple[int, ...]], int] = field(default_factory=dict)

    def started(self, event: NodeStarted) -> str | None:
        """The kind of a container that starts (remembered), else None."""
        kind = container_kind(event.node_type)
        if kind is not None:
            self.kinds[event.node_id] = kind
        return kind

    def kind_of(self, node_id: str) -> str | None:
        """The kind of a container seen starting, else None."""
        return self.kinds.get(node_id)

    def next_index(self, event: NodeStarted) -> int | None:
        """The item index when `event` is the first node of an item its container has not
        announced yet (so an `<kind>_next` goes before it), else None."""
        if not event.container_id or not event.iteration_path:
            return None
        key = (event.container_id, tuple(event.iteration_path[:-1]))
        index = event.iteration_path[-1]
        if self.current.get(key) == index:
            return None
        self.current[key] = index
        return index

    def place(self, container_id: str | None, path: list[int] | None) -> dict[str, Any]:
        """`iteration_id` / `iteration_index` (or the loop's) of a node inside a container."""
        kind = self.kinds.get(container_id or "")
        if kind is None or not path:
            return {}
        return {f"{kind}_id": container_id, f"{kind}_index": path[-1]}
