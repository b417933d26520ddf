"""The reference check of compile: every selector a node reads names a variable it can see.

A node sees the `sys`, `env` and `conversation` scopes and the outputs of the nodes that run
before it. A child of a container also sees what runs before the container, and the container's
own variables (`Node.inner_outputs`: an iteration's `item` and `index`), but nothing outside
sees a child.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from runtime._containers import Levels
from runtime._reach import upstream_checks
from runtime._titles import titled
from runtime.issues import Issue
from runtime.nodes.base import Node, VarType
from runtime.spec import WorkflowSpec
from runtime.variables import CONVERSATION_SCOPE, ENV_SCOPE, SYS_SCOPE, SYS_VARIABLES, Selector

Upstream = Callable[[str], bool]
Outputs = Callable[[Node[Any]], Mapping[str, str]]


def _never(_: str) -> bool:
    return False


@dataclass
class _Checker:
    spec: WorkflowSpec
    built: Mapping[str, Node[Any]]
    g: nx.DiGraph[str]
    lv: Levels
    outputs_of: Outputs  # a node's outputs as its successors see them (fail branch included)
    found: dict[str, list[Issue]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sys_fields = SYS_VARIABLES[self.spec.mode]
        self.env_names = {v.name for v in self.spec.env}
        self.conversation_names = {v.name for v in self.spec.conversation_variables}
        self.parent_of = {n.id: n.parent_id for n in self.spec.nodes}

    def level(
        self, container: str | None, outer: Upstream, inner: Mapping[str, Mapping[str, VarType]]
    ) -> None:
        """Check the nodes of one level, in topological order, and the levels inside them."""
        lv = self.lv
        whole = container is None and len(lv.members) == 1  # no containers: the whole graph
        g = self.g if whole else self.g.subgraph(lv.members[container])
        for node_id, is_upstream in upstream_checks(g):
            node = self.built.get(node_id)
            if node is None:
                continue

            def up(other: str, is_upstream: Upstream = is_upstream) -> bool:
                return is_upstream(other) or outer(other)

            self.selectors(node_id, node.references(), up, inner)
            if node_id in lv.members:
                self.container(node_id, node, up, inner)

    def container(
        self, node_id: str, node: Node[Any], up: Upstream, inner: Mapping[str, Mapping[str, Any]]
    ) -> None:
        """Check a container's children, then what it reads from them after each run."""
        own = {**inner, node_id: node.inner_outputs()}

        def inside(other: str) -> bool:
            return other == node_id or up(other)

        self.level(node_id, inside, own)
        children = set(self.lv.members[node_id])

        def after(other: str) -> bool:
            return other in children or inside(other)

        self.selectors(node_id, node.child_references(), after, own)

    def selectors(
        self,
        node_id: str,
        selectors: Sequence[Selector],
        up: Upstream,
        inner: Mapping[str, Mapping[str, Any]],
    ) -> None:
        """An issue for each of `selectors` that names no variable `node_id` can see."""
        for sel in selectors:
            msg = self.problem(sel, up, inner)
            if msg is not None:
                dotted = ".".join(sel)
                issue = Issue("unknown_variable", msg, node_id, dotted or None)
                self.found.setdefault(node_id, []).append(issue)

    def problem(
        self, sel: Selector, up: Upstream, inner: Mapping[str, Mapping[str, Any]]
    ) -> str | None:
        """What is wrong with one selector, in words, or None."""
        spec = self.spec
        scope, name = (sel[0], sel[1]) if len(sel) > 1 else ("", "")
        if not scope or not name:
            return "a variable is not chosen yet (it needs a node and one of its outputs)"
        if scope == SYS_SCOPE:
            if name in self.sys_fields:
                return None
            return f"{'.'.join(sel)} is not a system variable of {spec.mode} apps: pick another"
        if scope == ENV_SCOPE:
            if name in self.env_names:
                return None
            return f"there is no environment variable {name!r}: add it under Env"
        if scope == CONVERSATION_SCOPE:
            if spec.mode != "chat":
                return "only chat apps have conversation variables: pick another variable"
            if name in self.conversation_names:
                return None
            return f"there is no conversation variable {name!r}: add it under Conversation"
        if scope in inner:  # a container around the node: its own variables
            if name in inner[scope]:
                return None
            names = " or ".join(inner[scope]) or "nothing"
            return f"inside {titled(spec, scope)} its nodes can read {names}: pick one of those"
        if not up(scope):
            box = self.parent_of.get(scope)
            if box is not None and box not in inner and scope in self.built:
                return (
                    f"{titled(spec, scope)} is inside {titled(spec, box)}: pick an output of"
                    f" {titled(spec, box)} instead"
                )
            return (
                f"{titled(spec, scope)} does not run before this node: pick an output of a"
                " node that leads here"
            )
        if scope in self.built and name not in self.outputs_of(self.built[scope]):
            return f"{titled(spec, scope)} has no output {name!r}: pick one of its outputs"
        return None


def check_references(
    spec: WorkflowSpec,
    built: Mapping[str, Node[Any]],
    g: nx.DiGraph[str],
    lv: Levels,
    outputs_of: Outputs,
    issues: list[Issue],
) -> None:
    """An issue for each selector that names no variable available to its node (`g` is acyclic);
    the nodes are checked in topological order, their issues listed in the spec's order."""
    checker = _Checker(spec, built, g, lv, outputs_of)
    checker.level(None, _never, {})
    for node_id in built:
        issues.extend(checker.found.get(node_id, ()))
