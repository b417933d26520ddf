"""Containers (iteration, loop) at compile time: which nodes sit in which container, the checks
of each container's sub-graph, and the tables the engine runs a sub-graph with.

A node with `parent_id` sits in that container; the container's children form its sub-graph,
which begins at the one child whose type is the container's `container_start` (Dify's
iteration-start / loop-start node). Edges join nodes of one level only: the children of one
container, or the nodes around it (which connect to the container node itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from runtime._plan import NodePlan, make_plan
from runtime._reach import reached_from
from runtime._titles import titled
from runtime.issues import Issue
from runtime.nodes.base import Node
from runtime.pause import pause_in_container
from runtime.spec import WorkflowSpec

Edges = Mapping[str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True, slots=True)
class SubGraph:
    """A container's sub-graph: its start node and the engine's tables of its children."""

    entry_id: str
    successors: Edges  # child → ((handle, target), …)
    in_degree: Mapping[str, int]
    plans: Mapping[str, NodePlan]


@dataclass(frozen=True, slots=True)
class Levels:
    """The nodes of each level: None holds the top level, a container's id its children. A node
    whose container is missing (or is no container) sits in no level, its issue said."""

    members: Mapping[str | None, tuple[str, ...]]
    entries: Mapping[str, str]  # container → the start node inside it

    @property
    def containers(self) -> list[str]:
        """The containers that hold nodes."""
        return [c for c in self.members if c is not None]


def _parent_issue(
    spec: WorkflowSpec, classes: Mapping[str, type[Node[Any]]], node_id: str, parent: str
) -> Issue | None:
    if parent not in classes and parent not in {n.id for n in spec.nodes}:
        msg = "the container it sat in was deleted: move it out, or delete it"
        return Issue("unknown_container", msg, node_id, "parentId")
    if parent in classes and classes[parent].container_start is None:
        msg = f"{titled(spec, parent)} cannot hold other nodes: move this node out of it"
        return Issue("not_a_container", msg, node_id, "parentId")
    return None


def _inside_itself(parent_of: Mapping[str, str | None], node_id: str) -> bool:
    """Whether following the containers up from `node_id` comes back to it."""
    seen = {node_id}
    up = parent_of.get(node_id)
    while up is not None:
        if up in seen:
            return True
        seen.add(up)
        up = parent_of.get(up)
    return False


def levels(
    spec: WorkflowSpec, classes: Mapping[str, type[Node[Any]]], issues: list[Issue]
) -> Levels:
    """Each level's nodes, with an issue for each node in a missing container or in one that
    is no container, each container without (or with two) start nodes, each start node outside
    its container, and each node type that cannot sit in a container."""
    parent_of = {n.id: n.parent_id for n in spec.nodes}
    members: dict[str | None, list[str]] = {None: []}
    for n in spec.nodes:
        parent = n.parent_id
        if parent is not None:
            issue = _parent_issue(spec, classes, n.id, parent)
            if issue is None and _inside_itself(parent_of, n.id):
                msg = "it sits inside itself through its containers: move it out"
                issue = Issue("not_a_container", msg, n.id, "parentId")
            if issue is not None:
                issues.append(issue)
                continue
            if parent not in classes:
                continue  # its container's type is unknown: that node has the issue
        members.setdefault(parent, []).append(n.id)
    for node_id, cls in classes.items():
        if cls.container_start is not None:
            members.setdefault(node_id, [])  # an empty container: its issue says so
    entries = _entries(spec, classes, members, issues)
    _check_kinds(spec, classes, members, issues)
    return Levels({k: tuple(v) for k, v in members.items()}, entries)


def _entries(
    spec: WorkflowSpec,
    classes: Mapping[str, type[Node[Any]]],
    members: Mapping[str | None, list[str]],
    issues: list[Issue],
) -> dict[str, str]:
    """Each container's start node; an issue for a container with none, for a second one and
    for a start node in the wrong place."""
    entries: dict[str, str] = {}
    for container, children in members.items():
        want = classes[container].container_start if container is not None else None
        for child in children:
            cls = classes.get(child)
            if cls is None or not cls.starts_container:
                continue
            if cls.type_id != want:
                msg = "this start node belongs inside its own kind of container: delete it"
                issues.append(Issue("misplaced_start", msg, child, "type"))
            elif container in entries:
                msg = "a container has one start node: delete this one"
                issues.append(Issue("several_starts", msg, child))
            elif container is not None:
                entries[container] = child
        if container is not None and container not in entries and want is not None:
            kind = classes[container].type_title or classes[container].type_id
            msg = f"this {kind} has no start node inside: delete it and add it again"
            issues.append(Issue("no_start", msg, container))
    return entries


def _check_kinds(
    spec: WorkflowSpec,
    classes: Mapping[str, type[Node[Any]]],
    members: Mapping[str | None, list[str]],
    issues: list[Issue],
) -> None:
    """Start, answer and end nodes belong to the workflow itself, never inside a container;
    nor does a node that pauses for a person (`asks_person`, or one whose run settings ask for
    confirmation): a waiting run resumes at top-level nodes only."""
    confirms = {n.id for n in spec.nodes if n.settings.get("needs_confirmation") is True}
    for container, children in members.items():
        if container is None:
            continue
        where = titled(spec, container)
        for child in children:
            cls = classes.get(child)
            if cls is not None and (cls.starts_run or cls.ends_run_in or cls.shows_text):
                kind = cls.type_title or cls.type_id
                msg = f"{kind} nodes cannot sit inside {where}: move it out of the container"
                issues.append(Issue("not_in_container", msg, child, "parentId"))
            elif cls is not None and cls.asks_person:
                msg = pause_in_container("it", where, confirmation=False)
                issues.append(Issue("not_in_container", msg, child, "parentId"))
            elif child in confirms:
                msg = pause_in_container("it", where, confirmation=True)
                field = "settings.needs_confirmation"
                issues.append(Issue("not_in_container", msg, child, field))


def crossing(
    spec: WorkflowSpec, parent_of: Mapping[str, str | None], source: str, target: str
) -> Issue | None:
    """An issue when an edge from `source` to `target` joins nodes of two levels."""
    outer, inner = parent_of.get(source), parent_of.get(target)
    if outer == inner:
        return None
    src, dst = titled(spec, source), titled(spec, target)
    box = titled(spec, inner if inner is not None else outer or "")
    msg = (
        f"the connection from {src} to {dst} crosses the edge of {box}: inside a container"
        " connect its nodes to each other, and outside it connect to the container itself"
    )
    return Issue("crosses_container", msg, source, "edges")


def check_reach(
    spec: WorkflowSpec, g: nx.DiGraph[str], lv: Levels, issues: list[Issue]
) -> set[str]:
    """An issue for each child that nothing leads to from its container's start node; returns
    the children reached."""
    reached: set[str] = set()
    for container, entry in lv.entries.items():
        inside = reached_from(g, [entry])
        reached |= inside
        for child in lv.members[container]:
            if child not in inside:
                msg = "nothing leads here from its container's start: connect an edge into it"
                issues.append(Issue("unreachable", msg, child))
    return reached


def subgraphs(
    lv: Levels, built: Mapping[str, Node[Any]], succ: Edges, pred: Edges
) -> dict[str, SubGraph]:
    """The sub-graph of each container of a workflow that compiled."""
    return {
        c: SubGraph(
            entry_id=lv.entries[c],
            successors={n: succ[n] for n in lv.members[c]},
            in_degree={n: len(pred[n]) for n in lv.members[c]},
            plans={n: make_plan(built[n], succ[n]) for n in lv.members[c]},
        )
        for c in lv.containers
    }
