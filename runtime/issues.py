"""Compile issues: every problem in a workflow, each with a code and the node it concerns."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

IssueCode = Literal[
    "unknown_node_type",
    "bad_config",
    "dangling_edge",
    "duplicate_node_id",
    "cycle",
    "no_start",
    "several_starts",
    "unreachable",
    "no_output",
    "unknown_variable",
    "unknown_handle",
    "port_mismatch",
    "wrong_mode",
    "missing_resource",  # a node needs a resource (retriever, tools, …) no provider offers
    "graph_too_large",  # more nodes or edges than the server allows: nothing else is checked
    "invalid_spec",  # a stored spec that no longer parses (the builder reports it on load)
    "bad_conversation_variable",  # a name taken twice, a default of another type, a workflow app
    "invalid_env",  # an env variable a draft's save could not keep (the builder reports it)
    # containers (iteration, loop): see runtime/_containers.py
    "unknown_container",  # a node's parentId names no node
    "not_a_container",  # a node's parentId names a node that holds none (or itself)
    "misplaced_start",  # a container's start node outside its kind of container
    "not_in_container",  # a start, answer or end node, or one that pauses, inside a container
    "crosses_container",  # an edge joins a node inside a container to one outside it
]


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found by `compile()`."""

    code: IssueCode
    message: str
    node_id: str | None = None
    field: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """A JSON-ready dict of this issue."""
        return asdict(self)
