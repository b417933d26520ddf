"""Which published apps use a model provider: a node whose config (at any depth) has a
`model: {provider, name}` naming it, in the app's serving version; and a spec with those
references moved to another provider name."""

from __future__ import annotations

from typing import Any

from builder.models import App
from builder.published import serving_versions


def list_apps_using(workspace_id: int, provider: str) -> list[App]:
    """The workspace's apps whose serving version has a node on `provider`, by name."""
    apps = App.objects.filter(workspace_id=workspace_id, versions__isnull=False).distinct()
    using = []
    for app in apps.order_by("name"):
        version = serving_versions(app.pk).only("spec").first()
        nodes = version.spec.get("nodes", []) if version and isinstance(version.spec, dict) else []
        if any(_names(node.get("config"), provider) for node in nodes if isinstance(node, dict)):
            using.append(app)
    return using


def _names(value: Any, provider: str, depth: int = 0) -> bool:
    """Whether a node config names `provider` in a `model` object (an agent's nested ones too)."""
    if depth > 20:
        return False
    if isinstance(value, dict):
        model = value.get("model")
        if isinstance(model, dict) and model.get("provider") == provider:
            return True
        return any(_names(v, provider, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(_names(v, provider, depth + 1) for v in value)
    return False


def with_provider_renamed(spec: Any, old: str, new: str) -> Any:
    """`spec` (a stored draft or version) with every node's `model: {provider: old}`, at any
    depth of its config, naming `new`; the same object when nothing names `old`."""
    nodes = spec.get("nodes") if isinstance(spec, dict) else None
    if not isinstance(nodes, list) or not any(
        _names(n.get("config"), old) for n in nodes if isinstance(n, dict)
    ):
        return spec
    renamed = [
        {**n, "config": _renamed(n.get("config"), old, new)}
        if isinstance(n, dict) and "config" in n
        else n
        for n in nodes
    ]
    return {**spec, "nodes": renamed}


def _renamed(value: Any, old: str, new: str, depth: int = 0) -> Any:
    """A copy of a node config with each `model` object naming `old` naming `new`."""
    if depth > 20:
        return value
    if isinstance(value, dict):
        copy = {k: _renamed(v, old, new, depth + 1) for k, v in value.items()}
        model = value.get("model")
        if isinstance(model, dict) and model.get("provider") == old:
            copy["model"] = {**model, "provider": new}
        return copy
    if isinstance(value, list):
        return [_renamed(v, old, new, depth + 1) for v in value]
    return value
