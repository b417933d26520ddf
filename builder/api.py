"""The builder's part of the editor's JSON API: the signed-in user and the node palette here,
and one router per concern mounted on this one: apps, drafts and versions, runs, API keys, model
providers (builder/api_*.py).

portal/api.py mounts this router at /api/ (OpenAPI document at /api/docs).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from builder import api_apps, api_drafts, api_keys, api_providers, api_runs
from builder.schemas import MeOut, NodeTypeOut
from kernel.access import get_user
from kernel.workspaces import get_current_membership, get_memberships
from runtime.nodes.registry import catalog

router = Router()


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user and their workspaces."""
    user = get_user(request)
    current = get_current_membership(request)
    return {
        "email": user.email,
        "name": user.get_full_name(),
        "workspaces": [
            {
                "id": m.workspace_id,
                "name": m.workspace.name,
                "slug": m.workspace.slug,
                "role": m.role,
            }
            for m in get_memberships(user)
        ],
        "current_workspace_id": current.workspace_id if current else None,
    }


@router.get("/node-types", response=list[NodeTypeOut])
def node_types(request: HttpRequest) -> list[dict[str, Any]]:
    """Every node type with its config JSON Schema, handles and outputs (the editor's palette)."""
    return catalog()


def _keep_operation_ids(part: Router) -> None:
    """Name each operation `builder_api_<view>`, as when this module held every view: the
    editor's generated types (frontend/src/api/schema.ts) are keyed by these ids."""
    for path_view in part.path_operations.values():
        for operation in path_view.operations:
            name = operation.view_func.__name__
            operation.operation_id = operation.operation_id or f"builder_api_{name}"


for _part in (api_apps, api_drafts, api_runs, api_keys, api_providers):
    _keep_operation_ids(_part.router)
    router.add_router("", _part.router)
