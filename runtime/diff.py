"""What changed between two workflow specs: nodes added, removed or changed, edges added or
removed. Positions are layout, not behaviour, so moving a node is no change; edges are compared
by what they connect, (source, source_handle, target, target_handle), never by their ids."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import ValidationError

from runtime.spec import EdgeSpec, NodeSettings, NodeSpec, WorkflowSpec

EdgeKey = tuple[str, str, str, str]  # (source, source_handle, target, target_handle)
_IGNORED = frozenset({"id", "position"})


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One changed value of a node, at a dotted path such as "config.prompt"."""

    path: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class NodeChange:
    """A node present on both sides whose type, title, config or settings differ."""

    id: str
    type: str
    title: str
    changes: list[FieldChange]


@dataclass(frozen=True, slots=True)
class SpecDiff:
    """The difference from one spec to another."""

    nodes_added: list[NodeSpec] = field(default_factory=list)
    nodes_removed: list[NodeSpec] = field(default_factory=list)
    nodes_changed: list[NodeChange] = field(default_factory=list)
    edges_added: list[EdgeKey] = field(default_factory=list)
    edges_removed: list[EdgeKey] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: nodes as {id, type, title}, edges as {source, source_handle, …}."""
        return {
            "nodes_added": [_node_dict(n) for n in self.nodes_added],
            "nodes_removed": [_node_dict(n) for n in self.nodes_removed],
            "nodes_changed": [asdict(c) for c in self.nodes_changed],
            "edges_added": [_edge_dict(e) for e in self.edges_added],
            "edges_removed": [_edge_dict(e) for e in self.edges_removed],
        }


def _node_dict(node: NodeSpec) -> dict[str, str]:
    return {"id": node.id, "type": node.type, "title": node.title}


def _edge_dict(key: EdgeKey) -> dict[str, str]:
    return dict(zip(("source", "source_handle", "target", "target_handle"), key, strict=True))


def edge_key(edge: EdgeSpec) -> EdgeKey:
    """What an edge connects, which is what makes two edges the same."""
    return (edge.source, edge.source_handle, edge.target, edge.target_handle)


def field_changes(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    """Changed values between two JSON values: dicts are walked key by key (in sorted order);
    lists and scalars are compared whole."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[FieldChange] = []
        for key in sorted(before.keys() | after.keys()):
            if not path and key in _IGNORED:
                continue
            sub = f"{path}.{key}" if path else key
            changes += field_changes(before.get(key), after.get(key), sub)
        return changes
    return [] if before == after else [FieldChange(path, before, after)]


def diff_specs(before: WorkflowSpec, after: WorkflowSpec) -> SpecDiff:
    """The nodes and edges `after` adds, removes or changes relative to `before`."""
    old, new = _by_id(before.nodes), _by_id(after.nodes)
    changed = []
    for node_id, node in new.items():
        if node_id not in old:
            continue
        changes = field_changes(_comparable(old[node_id]), _comparable(node))
        if changes:
            changed.append(NodeChange(node_id, node.type, node.title, changes))
    old_edges = dict.fromkeys(edge_key(e) for e in before.edges)
    new_edges = dict.fromkeys(edge_key(e) for e in after.edges)
    return SpecDiff(
        nodes_added=[n for i, n in new.items() if i not in old],
        nodes_removed=[n for i, n in old.items() if i not in new],
        nodes_changed=changed,
        edges_added=[e for e in new_edges if e not in old_edges],
        edges_removed=[e for e in old_edges if e not in new_edges],
    )


def _by_id(nodes: list[NodeSpec]) -> dict[str, NodeSpec]:
    """Nodes by id, in spec order; the first of a duplicated id wins, as in compile."""
    found: dict[str, NodeSpec] = {}
    for n in nodes:
        found.setdefault(n.id, n)
    return found


def _comparable(node: NodeSpec) -> dict[str, Any]:
    """The node as JSON with every default filled in, so an omitted default equals its value."""
    data = node.model_dump(mode="json")
    try:
        data["settings"] = node.run_settings().model_dump(mode="json")
    except ValidationError:  # a draft's malformed settings: as stored, over the defaults
        data["settings"] = _over(NodeSettings().model_dump(mode="json"), data["settings"])
    return data


def _over(defaults: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """`stored` laid over `defaults`, nested dicts key by key."""
    out = dict(defaults)
    for key, value in stored.items():
        below = out.get(key)
        if isinstance(below, dict) and isinstance(value, dict):
            value = _over(below, value)
        out[key] = value
    return out
