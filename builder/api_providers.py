"""The editor API's model providers: the servers a workspace's LLM nodes can use."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from builder.models import ModelProvider
from builder.schemas import ProviderIn, ProviderOut
from kernel.access import require_membership, require_workspace
from kernel.crypto import encrypt
from kernel.errors import ApiError
from kernel.model_sources import WorkspaceModels, forget_workspace_models
from kernel.models import Role
from kernel.outbound import url_refusal

router = Router()


@router.get("/providers", response=list[ProviderOut])
def list_providers(request: HttpRequest, workspace_id: int | None = None) -> list[dict[str, Any]]:
    """Model providers the workspace's LLM nodes can use."""
    workspace = require_workspace(request, workspace_id, Role.VIEWER)
    models = WorkspaceModels.for_workspace(workspace.pk)
    rows = {p.name: p for p in ModelProvider.objects.filter(workspace=workspace)}
    return [
        {
            "name": p.name,
            "kind": p.kind,
            "models": list(p.models),
            "labels": dict(p.labels),
            "base_url": rows[p.name].base_url if p.name in rows else None,
        }
        for p in models.list_providers()
    ]


@router.post("/providers", response={201: ProviderOut})
def create_provider(
    request: HttpRequest, body: ProviderIn, workspace_id: int | None = None
) -> tuple[int, dict[str, Any]]:
    """Add a model server (admins); its API key is stored encrypted."""
    membership = require_membership(request, workspace_id, Role.ADMIN)
    if ModelProvider.objects.filter(workspace=membership.workspace, name=body.name).exists():
        raise ApiError("name_taken", 409, f"provider {body.name!r} exists", field="name")
    refusal = url_refusal(body.base_url)  # a first check; the guard checks every request too
    if refusal is not None:
        raise ApiError("invalid_param", 422, f"base_url is refused: {refusal}", field="base_url")
    row = ModelProvider.objects.create(
        workspace=membership.workspace,
        name=body.name,
        kind=body.kind,
        base_url=body.base_url,
        api_key_encrypted=encrypt(body.api_key),
        model_names=body.model_names,
    )
    forget_workspace_models(membership.workspace_id)
    return 201, {
        "name": row.name,
        "kind": row.kind,
        "models": row.model_names,
        "base_url": row.base_url,
    }
