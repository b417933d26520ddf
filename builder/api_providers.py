"""The editor API's model providers: the servers a workspace's LLM nodes can use.

Members list them (the built-in ones too, read-only); admins add, change and delete the
workspace's own; editors check a saved one (`…/check` asks the server for its models now).
An API key is stored encrypted and never shown back, only whether one is set. Deleting a
provider that published apps use is allowed, as Dify allows it: the answer names those apps.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from ninja import Router, Status

from builder.models import ModelProvider
from builder.provider_checks import check_model_server
from builder.provider_usage import list_apps_using
from builder.schemas import (
    ProviderCheckIn,
    ProviderCheckOut,
    ProviderDeletedOut,
    ProviderIn,
    ProviderOut,
    ProviderPatch,
)
from kernel.access import get_user, require_membership, require_workspace
from kernel.audit import do_audit
from kernel.crypto import decrypt, encrypt
from kernel.errors import ApiError, not_found
from kernel.model_sources import WorkspaceModels, builtin_providers, forget_workspace_models
from kernel.models import Role, Workspace
from kernel.outbound import url_refusal

router = Router()
PROVIDER = "model provider"


@router.get("/providers", response=list[ProviderOut])
def list_providers(request: HttpRequest, workspace_id: int | None = None) -> list[dict[str, Any]]:
    """Model providers the workspace's LLM nodes can use: the built-in ones first."""
    workspace = require_workspace(request, workspace_id, Role.VIEWER)
    models = WorkspaceModels.for_workspace(workspace.pk)
    rows = {p.name: p for p in ModelProvider.objects.filter(workspace=workspace)}
    listed = []
    for p in models.list_providers():
        row = None if p.builtin else rows.get(p.name)
        listed.append(
            {
                "name": p.name,
                "kind": p.kind,
                "models": list(p.models),
                "labels": dict(p.labels),
                "builtin": p.builtin,
                **(_row_fields(row) if row else {}),
            }
        )
    return listed


@router.post("/providers", response={201: ProviderOut})
def create_provider(
    request: HttpRequest, body: ProviderIn, workspace_id: int | None = None
) -> Status[dict[str, Any]]:
    """Add a model server (admins); its API key is stored encrypted."""
    membership = require_membership(request, workspace_id, Role.ADMIN)
    if body.name == "check":  # /providers/check checks unsaved settings
        raise ApiError("invalid_param", 422, "name: 'check' is reserved", field="name")
    if any(p.name == body.name for p in builtin_providers()):  # it would hide the built-in one
        message = f"name: {body.name!r} is a built-in model provider's name"
        raise ApiError("invalid_param", 422, message, field="name")
    if ModelProvider.objects.filter(workspace=membership.workspace, name=body.name).exists():
        raise ApiError("name_taken", 409, f"name: provider {body.name!r} exists", field="name")
    _check_url(body.base_url)
    row = ModelProvider(
        workspace=membership.workspace,
        name=body.name,
        kind=body.kind,
        base_url=body.base_url,
        api_key_encrypted=encrypt(body.api_key),
        model_names=list(dict.fromkeys(body.model_names)),
    )
    _save(request, row, "providers.create", force_insert=True)
    return Status(201, _row_out(row))


@router.post("/providers/check", response=ProviderCheckOut)
def check_new_provider(
    request: HttpRequest, body: ProviderCheckIn, workspace_id: int | None = None
) -> dict[str, Any]:
    """Check settings before adding them (admins): the models the server lists, or why not."""
    require_membership(request, workspace_id, Role.ADMIN)
    if not body.base_url:
        raise ApiError("invalid_param", 422, "base_url: give the server's URL", field="base_url")
    return _checked(body.kind or "openai_compatible", body.base_url, body.api_key or "")


@router.patch("/providers/{provider_name}", response=ProviderOut)
def update_provider(
    request: HttpRequest, provider_name: str, body: ProviderPatch, workspace_id: int | None = None
) -> dict[str, Any]:
    """Change a provider (admins): its kind, URL, models, or API key (a new one replaces the
    stored one, "" removes it; left out, it is kept). Its name is what LLM nodes name."""
    membership = require_membership(request, workspace_id, Role.ADMIN)
    row = _get_row(membership.workspace, provider_name)
    given = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if "base_url" in given:
        _check_url(given["base_url"])
        row.base_url = given["base_url"]
    if "kind" in given:
        row.kind = given["kind"]
    if "api_key" in given:
        row.api_key_encrypted = encrypt(given["api_key"])
    if "model_names" in given:
        row.model_names = list(dict.fromkeys(given["model_names"]))
    _save(request, row, "providers.update", data={"changed": sorted(given)})
    return _row_out(row)


@router.delete("/providers/{provider_name}", response=ProviderDeletedOut)
def delete_provider(
    request: HttpRequest, provider_name: str, workspace_id: int | None = None
) -> dict[str, Any]:
    """Delete a provider (admins). Published apps that use it are named in the answer: their
    nodes on it fail until a provider of this name is added again or they are republished."""
    membership = require_membership(request, workspace_id, Role.ADMIN)
    row = _get_row(membership.workspace, provider_name)
    using = list_apps_using(membership.workspace_id, row.name)
    with transaction.atomic():
        row.delete()
        do_audit(
            workspace_id=membership.workspace_id,
            actor=get_user(request),
            action="providers.delete",
            target=provider_name,
            data={"used_by": [app.slug for app in using]},
        )
    forget_workspace_models(membership.workspace_id)
    warning = ""
    if using:
        names = ", ".join(app.name for app in using)
        warning = (
            f"published apps use {provider_name!r} and fail at its nodes until a provider of "
            f"that name is added again or they are republished with another model: {names}"
        )
    return {
        "name": provider_name,
        "used_by": [{"id": a.pk, "name": a.name, "slug": a.slug} for a in using],
        "warning": warning,
    }


@router.post("/providers/{provider_name}/check", response=ProviderCheckOut)
def check_provider(
    request: HttpRequest,
    provider_name: str,
    body: ProviderCheckIn,
    workspace_id: int | None = None,
) -> dict[str, Any]:
    """Check a saved provider (editors), or it with changed settings not saved yet (admins:
    the stored key would go to the new URL)."""
    changes = body.model_dump(exclude_none=True)
    role = Role.ADMIN if changes else Role.EDITOR
    membership = require_membership(request, workspace_id, role)
    row = _get_row(membership.workspace, provider_name)
    if "api_key" in changes:
        key = changes["api_key"]
    else:
        try:
            key = decrypt(row.api_key_encrypted)
        except ValueError:
            return {"status": "error", "error": "the stored API key cannot be read: set it again"}
    return _checked(changes.get("kind", row.kind), changes.get("base_url", row.base_url), key)


def _checked(kind: str, base_url: str, api_key: str) -> dict[str, Any]:
    # no first check of the URL here: the guard's refusal is the check's answer, in words
    checked = check_model_server(kind, base_url, api_key)
    return {"status": checked.status, "error": checked.error, "models": checked.models}


def _check_url(base_url: str) -> None:
    """A first check of a URL; the guard checks every request too."""
    refusal = url_refusal(base_url)
    if refusal is not None:
        raise ApiError("invalid_param", 422, f"base_url is refused: {refusal}", field="base_url")


def _get_row(workspace: Workspace, name: str) -> ModelProvider:
    row = ModelProvider.objects.filter(workspace=workspace, name=name).first()
    if row is None:
        raise not_found(PROVIDER)
    return row


def _row_fields(row: ModelProvider) -> dict[str, Any]:
    return {
        "base_url": row.base_url,
        "model_names": list(row.model_names),
        "api_key_set": bool(row.api_key_encrypted),
    }


def _row_out(row: ModelProvider) -> dict[str, Any]:
    """A workspace provider as saved (the listing adds the models served through it)."""
    return {"name": row.name, "kind": row.kind, "models": list(row.model_names), **_row_fields(row)}


def _save(
    request: HttpRequest,
    row: ModelProvider,
    action: str,
    force_insert: bool = False,
    data: dict[str, Any] | None = None,
) -> None:
    """Save and audit a change, then drop the workspace's cached models."""
    try:
        with transaction.atomic():
            row.save(force_insert=force_insert)
            do_audit(
                workspace_id=row.workspace_id,
                actor=get_user(request),
                action=action,
                target=row.name,
                data=data or {},
            )
    except IntegrityError as exc:  # a concurrent add of the same name
        raise ApiError(
            "name_taken", 409, f"name: provider {row.name!r} exists", field="name"
        ) from exc
    forget_workspace_models(row.workspace_id)
