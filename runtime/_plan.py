"""Per-node data the engine needs on every run, computed once at compile time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runtime.nodes.base import Node
from runtime.spec import ErrorStrategy
from runtime.variables import Selector


@dataclass(frozen=True, slots=True)
class NodePlan:
    """What the engine reads about a node while running it."""

    node: Node[Any]
    node_id: str
    type_id: str
    title: str
    refs: tuple[tuple[str, Selector], ...]  # (dotted name, selector)
    timeout_s: float | None
    max_attempts: int
    interval_s: float
    strategy: ErrorStrategy
    default_outputs: dict[str, Any]
    successors: tuple[tuple[str, str], ...]  # (handle, target)
    answer_port: str | None  # the node's capabilities (see Node)
    gives_run_outputs: bool
    needs_confirmation: bool  # pause for approve/deny before running (see runtime.pause)


def make_plan(node: Node[Any], successors: tuple[tuple[str, str], ...]) -> NodePlan:
    """Build the plan of one node."""
    s = node.settings
    refs = tuple((".".join(sel), sel) for sel in dict.fromkeys(node.references()))
    return NodePlan(
        node=node,
        node_id=node.node_id,
        type_id=node.type_id,
        title=node.title,
        refs=refs,
        timeout_s=s.timeout_s,
        max_attempts=s.retry.max_attempts,
        interval_s=s.retry.interval_s,
        strategy=s.error_strategy,
        default_outputs=dict(s.default_outputs),
        successors=successors,
        answer_port=node.answer_port,
        gives_run_outputs=node.gives_run_outputs,
        needs_confirmation=s.needs_confirmation,
    )
