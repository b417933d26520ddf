"""Nodes named as the editor shows them, for the words of compile issues."""

from __future__ import annotations

from collections.abc import Collection

from runtime.nodes import registry
from runtime.spec import WorkflowSpec


def titled(spec: WorkflowSpec, node_id: str) -> str:
    """A node as the editor shows it: its title, else its type's title, else its id."""
    for n in spec.nodes:
        if n.id == node_id:
            if n.title:
                return n.title
            known = registry.has(n.type, n.version)
            return (registry.get(n.type, n.version).type_title if known else "") or n.id
    return node_id


def listed(spec: WorkflowSpec, node_ids: Collection[str]) -> str:
    """Nodes as the editor shows them, joined with commas and "and"."""
    names = [titled(spec, node_id) for node_id in sorted(node_ids)]
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
