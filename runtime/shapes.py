"""What the editor needs to draw and wire each node: its handles, outputs and references.

The editor keeps no copy of node type knowledge; it asks for this report beside the issues.
The outputs offered here are exactly those `compile` accepts in a reference, so a variable the
editor lets a person pick is never flagged as unknown.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from runtime.compile import FAIL_BRANCH_OUTPUTS, analyse, node_handles, node_outputs
from runtime.issues import Issue
from runtime.nodes import registry
from runtime.nodes.base import Node
from runtime.resources import Resource
from runtime.spec import FAIL_BRANCH_HANDLE, NodeSpec, WorkflowSpec
from runtime.variables import CONVERSATION_SCOPE, ENV_SCOPE, SYS_SCOPE, SYS_VARIABLES


@dataclass(frozen=True, slots=True)
class NodeShape:
    """A node's source handles (and the labels shown on them instead of their ids, where a
    type gives some), its outputs (name → type), the selectors it reads, and a container's
    variables that only the nodes inside it read (`Node.inner_outputs`)."""

    handles: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    references: list[list[str]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    inner: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GraphReport:
    """Issues, node shapes and the global variables (`sys`, `env`) of one spec."""

    issues: list[Issue]
    nodes: dict[str, NodeShape]
    globals: dict[str, dict[str, str]]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of this report."""
        return {
            "issues": [i.to_dict() for i in self.issues],
            "nodes": {
                node_id: {
                    "handles": s.handles,
                    "outputs": s.outputs,
                    "references": s.references,
                    "labels": s.labels,
                    "inner": s.inner,
                }
                for node_id, s in self.nodes.items()
            },
            "globals": self.globals,
        }


def shape_of(node: Node[Any]) -> NodeShape:
    """The shape of a node whose config is valid."""
    return NodeShape(
        handles=node_handles(node),
        outputs=node_outputs(node),
        references=[list(sel) for sel in dict.fromkeys(node.references())],
        labels=type(node).handle_labels(node.config.model_dump(mode="json")),
        inner=dict(node.inner_outputs()),
    )


def fallback_shape(ns: NodeSpec) -> NodeShape:
    """The shape of a node whose config does not validate: its type's static outputs, the
    handles its raw config shows (`Node.draft_handles`: "source" for most, plus "fail-branch"),
    no references; an unknown type's is empty."""
    if not registry.has(ns.type, ns.version):
        return NodeShape()
    cls = registry.get(ns.type, ns.version)
    outputs: dict[str, str] = dict(cls.output_types)
    handles = list(cls.draft_handles(ns.config))
    if ns.settings.get("error_strategy") == "fail_branch":
        handles.append(FAIL_BRANCH_HANDLE)
        outputs.update(FAIL_BRANCH_OUTPUTS)
    labels = cls.handle_labels(ns.config)
    inner: dict[str, str] = dict(cls.draft_inner_outputs(ns.config))
    return NodeShape(handles=handles, outputs=outputs, labels=labels, inner=inner)


def global_variables(spec: WorkflowSpec) -> dict[str, dict[str, str]]:
    """The `sys` variables of the spec's mode, its `env` variables and (chat apps) its
    conversation variables, name → type."""
    env_types: Mapping[str, str] = {"secret": "string"}
    scopes = {
        SYS_SCOPE: dict(SYS_VARIABLES[spec.mode]),
        ENV_SCOPE: {v.name: env_types.get(v.type, v.type) for v in spec.env},
    }
    if spec.mode == "chat":
        scopes[CONVERSATION_SCOPE] = {v.name: v.type for v in spec.conversation_variables}
    return scopes


def size_issue(spec: WorkflowSpec, max_nodes: int | None, max_edges: int | None) -> Issue | None:
    """An issue when `spec` has more nodes or edges than allowed (None: no limit), else None."""
    for what, count, limit in (
        ("nodes", len(spec.nodes), max_nodes),
        ("edges", len(spec.edges), max_edges),
    ):
        if limit is not None and count > limit:
            msg = f"the workflow has {count} {what}, more than the {limit} allowed"
            return Issue("graph_too_large", msg, None, what)
    return None


def graph_report(
    spec: WorkflowSpec,
    max_nodes: int | None = None,
    max_edges: int | None = None,
    offered: Collection[Resource[Any]] | None = None,
) -> GraphReport:
    """Every issue of `spec`, the shape of each of its nodes, and its global variables.

    A spec over `max_nodes` or `max_edges` is not analysed: its one issue says it is too large,
    and its nodes get the shapes of their types. With `offered`, a node needing a resource
    outside it is an issue (see `compile.validate`).
    """
    too_large = size_issue(spec, max_nodes, max_edges)
    issues, built, _ = ([too_large], {}, None) if too_large else analyse(spec, offered)
    nodes: dict[str, NodeShape] = {}
    for ns in spec.nodes:
        if ns.id in nodes:
            continue  # a duplicate id: the first node keeps it, as in compile
        node = built.get(ns.id)
        nodes[ns.id] = shape_of(node) if node is not None else fallback_shape(ns)
    return GraphReport(issues, nodes, global_variables(spec))
