"""Which published apps use a model provider: a node whose config (at any depth) has a
`model: {provider, name}` naming it, in the app's serving version."""

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
