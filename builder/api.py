"""The builder's part of the editor's JSON API: apps, drafts, runs, keys, providers.

portal/api.py mounts this router at /api/ (OpenAPI document at /api/docs).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest
from ninja import Router

from builder.access import require_app
from builder.actions.resume import do_expire_overdue, do_resume_run
from builder.actions.runs import RunRequest, do_start_run, draft_run_request
from builder.actions.workflows import (
    do_create_app,
    do_publish_workflow,
    do_restore_version,
    do_save_draft,
    get_draft_report,
    get_stored_report,
    parse_spec,
)
from builder.api_examples import build_example
from builder.keys import do_create_api_key, do_revoke_api_key
from builder.models import ApiKey, App, AppVersion, Message, ModelProvider, Run, Workflow
from builder.published import forget_published, serving_versions
from builder.schemas import (
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    AppIn,
    AppOut,
    AppPatch,
    AppTemplateOut,
    DraftIn,
    DraftOut,
    DraftSaved,
    GraphReportOut,
    MeOut,
    NodeRunOut,
    NodeTypeOut,
    ProviderIn,
    ProviderOut,
    PublishIn,
    RestoreIn,
    ResumeIn,
    RunDetail,
    RunIn,
    RunOut,
    ValidateIn,
    VersionDetail,
    VersionDiffOut,
    VersionOut,
)
from builder.secrets import mask_secrets
from builder.templates import list_templates, template_spec
from builder.trace import trace_of
from kernel.access import get_user, require_membership, require_workspace
from kernel.crypto import encrypt
from kernel.errors import ApiError, not_found
from kernel.ids import parse_uuid
from kernel.model_sources import WorkspaceModels, forget_workspace_models
from kernel.models import Role
from kernel.outbound import url_refusal
from kernel.workspaces import get_current_membership, get_memberships
from runtime.diff import diff_specs
from runtime.nodes.registry import catalog

router = Router()


def app_out(app: App) -> dict[str, Any]:
    """An app as AppOut, with its newest published version's number."""
    last = serving_versions(app.pk).values_list("number", flat=True).first()
    return {
        **{
            f: getattr(app, f)
            for f in (
                "id",
                "workspace_id",
                "name",
                "slug",
                "mode",
                "description",
                "mcp_enabled",
                "created_at",
                "updated_at",
            )
        },
        "published_version": last,
    }


def _run_out(run: Run) -> dict[str, Any]:
    return {
        **{f: getattr(run, f) for f in RunOut.model_fields if hasattr(run, f)},
        "id": str(run.id),
        "version": run.version.number if run.version else None,
        "conversation_id": str(run.conversation_id) if run.conversation_id else None,
        "waiting": run.pending.get("forms", []) if run.status == "waiting" else [],
    }


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


@router.get("/apps", response=list[AppOut])
def list_apps(request: HttpRequest, workspace_id: int | None = None) -> list[dict[str, Any]]:
    """The apps of a workspace (the current one by default)."""
    workspace = require_workspace(request, workspace_id, Role.VIEWER)
    return [app_out(a) for a in App.objects.filter(workspace=workspace)]


@router.post("/apps", response={201: AppOut})
def create_app(request: HttpRequest, body: AppIn) -> tuple[int, dict[str, Any]]:
    """Create an app with a starter draft, or from a template."""
    workspace = require_workspace(request, body.workspace_id, Role.EDITOR)
    mode, spec = body.mode, None
    if body.template:
        spec = template_spec(body.template)
        if spec is None:
            raise ApiError(
                "invalid_param", 422, "template: there is no such template", field="template"
            )
        mode = spec["mode"]
    app = do_create_app(
        workspace, get_user(request), body.name, mode, body.slug, body.description, spec
    )
    return 201, app_out(app)


@router.get("/app-templates", response=list[AppTemplateOut])
def app_templates(request: HttpRequest) -> list[dict[str, Any]]:
    """The templates a new app can start from."""
    return [
        {
            "id": t.id,
            "name": t.name,
            "description": t.description,
            "mode": t.mode,
            "card": t.card,
            "roles": [{"name": name, "does": does} for name, does in t.roles],
        }
        for t in list_templates()
    ]


@router.get("/apps/{app_id}", response=AppOut)
def get_app(request: HttpRequest, app_id: int) -> dict[str, Any]:
    """One app."""
    return app_out(require_app(request, app_id))


@router.patch("/apps/{app_id}", response=AppOut)
def patch_app(request: HttpRequest, app_id: int, body: AppPatch) -> dict[str, Any]:
    """Rename an app, change its description, or switch its MCP server on or off."""
    app = require_app(request, app_id, Role.EDITOR)
    for name, value in body.model_dump(exclude_none=True).items():
        setattr(app, name, value)
    app.save()
    forget_published(app.pk)  # the served app (MCP switch, description) changes at once here
    return app_out(app)


@router.delete("/apps/{app_id}", response={204: None})
def delete_app(request: HttpRequest, app_id: int) -> tuple[int, None]:
    """Delete an app with its versions, runs and keys (admins)."""
    require_app(request, app_id, Role.ADMIN).delete()
    return 204, None


def _draft_out(draft: Workflow, workspace_id: int) -> dict[str, Any]:
    return {
        "spec": mask_secrets(draft.spec),
        "revision": draft.revision,
        "updated_at": draft.updated_at,
        **get_stored_report(draft.spec, workspace_id).to_dict(),
    }


@router.get("/apps/{app_id}/draft", response=DraftOut)
def get_draft(request: HttpRequest, app_id: int) -> dict[str, Any]:
    """The draft spec, its revision, its issues and the shape of each node."""
    app = require_app(request, app_id)
    return _draft_out(Workflow.objects.get(app=app), app.workspace_id)


@router.put("/apps/{app_id}/draft", response=DraftSaved)
def save_draft(request: HttpRequest, app_id: int, body: DraftIn) -> dict[str, Any]:
    """Save the draft (409 when stale); returns the new revision and the graph's report."""
    app = require_app(request, app_id, Role.EDITOR)
    revision, report = do_save_draft(app, body.spec, body.revision, get_user(request))
    return {"revision": revision, **report.to_dict()}


@router.post("/apps/{app_id}/validate", response=GraphReportOut)
def validate_draft(request: HttpRequest, app_id: int, body: ValidateIn) -> dict[str, Any]:
    """Report on a spec (the saved draft when none is given): issues and node shapes."""
    app = require_app(request, app_id)
    stored = Workflow.objects.get(app=app).spec
    spec = stored if body.spec is None else body.spec
    return get_draft_report(spec, stored, app.workspace_id).to_dict()


@router.post("/apps/{app_id}/publish", response={201: VersionOut})
def publish(request: HttpRequest, app_id: int, body: PublishIn) -> tuple[int, dict[str, Any]]:
    """Publish the draft as a new version (422 with the issues when it is invalid)."""
    app = require_app(request, app_id, Role.EDITOR)
    version = do_publish_workflow(app, get_user(request), body.note)
    return 201, _version_out(version)


def _version_out(v: AppVersion) -> dict[str, Any]:
    return {
        "id": v.pk,
        "number": v.number,
        "note": v.note,
        "draft_revision": v.draft_revision,
        "created_at": v.created_at,
        "created_by": v.created_by.email if v.created_by else None,
    }


@router.get("/apps/{app_id}/versions", response=list[VersionOut])
def list_versions(request: HttpRequest, app_id: int) -> list[dict[str, Any]]:
    """Published versions, newest first."""
    app = require_app(request, app_id)
    return [_version_out(v) for v in app.versions.select_related("created_by")]


def _get_version(app: App, number: int) -> AppVersion:
    version = AppVersion.objects.filter(app=app, number=number).first()
    if version is None:
        raise not_found("version")
    return version


@router.get("/apps/{app_id}/versions/{number}", response=VersionDetail)
def get_version(request: HttpRequest, app_id: int, number: int) -> dict[str, Any]:
    """One version with its frozen spec."""
    version = _get_version(require_app(request, app_id), number)
    return {**_version_out(version), "spec": mask_secrets(version.spec)}


@router.post("/apps/{app_id}/versions/{number}/restore", response=DraftOut)
def restore_version(
    request: HttpRequest, app_id: int, number: int, body: RestoreIn
) -> dict[str, Any]:
    """Make this version's spec the draft again (409 when `revision` is stale)."""
    app = require_app(request, app_id, Role.EDITOR)
    version = _get_version(app, number)
    restored = do_restore_version(app, version, body.revision, get_user(request))
    return _draft_out(restored, app.workspace_id)


@router.get("/apps/{app_id}/versions/{number}/diff", response=VersionDiffOut)
def diff_version(
    request: HttpRequest, app_id: int, number: int, against: str = "draft"
) -> dict[str, Any]:
    """What changed from this version to another one (`against=3`) or to the draft."""
    app = require_app(request, app_id)
    before = parse_spec(_get_version(app, number).spec)
    if against == "draft":
        after = parse_spec(Workflow.objects.get(app=app).spec)
    elif against.isascii() and against.isdigit():
        after = parse_spec(_get_version(app, int(against)).spec)
    else:
        raise ApiError(
            "invalid_param", 422, 'against must be a version number or "draft"', field="against"
        )
    to = "draft" if against == "draft" else str(int(against))
    return {"from_version": number, "to": to, **diff_specs(before, after).to_dict()}


@router.post("/apps/{app_id}/runs", response=RunDetail)
async def run_draft(request: HttpRequest, app_id: int, body: RunIn) -> dict[str, Any]:
    """Run the draft (or one node of it, or the draft again from a node) and wait for it;
    returns the run with its per-node trace."""

    def prepare() -> RunRequest:
        app = require_app(request, app_id, Role.EDITOR)
        return draft_run_request(
            app,
            get_user(request),
            body.inputs,
            body.query,
            body.conversation_id,
            node_id=body.node_id,
            node_inputs=body.node_inputs,
            from_node=body.from_node,
            from_run=body.from_run,
            origin=body.origin,
        )

    handle = await do_start_run(await sync_to_async(prepare)())
    await handle.wait()
    return await sync_to_async(_run_detail)(handle.run_id)


@router.post("/apps/{app_id}/runs/{run_id}/resume", response=RunDetail)
async def resume_run(
    request: HttpRequest, app_id: int, run_id: str, body: ResumeIn
) -> dict[str, Any]:
    """Answer a waiting run's form: it runs on from the paused node; returns the run when it
    ends (or waits again). 409 when the run is not waiting, 422 naming a bad answer."""
    app = await sync_to_async(require_app)(request, app_id, Role.EDITOR)
    user = await sync_to_async(get_user)(request)
    handle = await do_resume_run(app, run_id, body.answers, body.node_id, user)
    await handle.wait()
    return await sync_to_async(_run_detail)(handle.run_id)


def _run_detail(run_id: str) -> dict[str, Any]:
    run = Run.objects.select_related("version").get(pk=run_id)
    query = Message.objects.filter(run=run).values_list("query", flat=True).first()
    node_runs = [
        NodeRunOut.model_validate(row, from_attributes=True).model_copy(update={"reused_from": by})
        for row, by in trace_of(run)
    ]
    return {**_run_out(run), "node_runs": node_runs, "query": query}


@router.get("/apps/{app_id}/runs", response=list[RunOut])
def list_runs(request: HttpRequest, app_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """Recent runs of the app, newest first."""
    app = require_app(request, app_id)
    runs = Run.objects.filter(app=app).select_related("version")[: max(1, min(limit, 200))]
    return [_run_out(r) for r in runs]


@router.get("/runs/{run_id}", response=RunDetail)
async def get_run(request: HttpRequest, run_id: str) -> dict[str, Any]:
    """One run with its per-node trace (a waiting run past its form's timeout goes on first,
    as its on_timeout says)."""

    def check() -> None:
        pk = parse_uuid(run_id)
        run = Run.objects.filter(pk=pk).values_list("app_id", flat=True).first() if pk else None
        if run is None:
            raise not_found("run")
        require_app(request, run)

    await sync_to_async(check)()
    await do_expire_overdue(run_id)
    return await sync_to_async(_run_detail)(run_id)


@router.get("/apps/{app_id}/keys", response=list[ApiKeyOut])
def list_keys(request: HttpRequest, app_id: int) -> list[ApiKey]:
    """The app's API keys (prefixes only)."""
    return list(require_app(request, app_id, Role.EDITOR).api_keys.all())


@router.post("/apps/{app_id}/keys", response={201: ApiKeyCreated})
def create_key(request: HttpRequest, app_id: int, body: ApiKeyIn) -> tuple[int, dict[str, Any]]:
    """Create an API key; the full key is in this response only."""
    app = require_app(request, app_id, Role.EDITOR)
    key, raw = do_create_api_key(app, body.name, get_user(request))
    example = build_example(app, request.build_absolute_uri("/v1"), raw)
    return 201, {**ApiKeyOut.from_orm(key).model_dump(), "key": raw, "example": asdict(example)}


@router.delete("/apps/{app_id}/keys/{key_id}", response={204: None})
def revoke_key(request: HttpRequest, app_id: int, key_id: int) -> tuple[int, None]:
    """Revoke an API key at once."""
    key = ApiKey.objects.filter(app=require_app(request, app_id, Role.EDITOR), pk=key_id).first()
    if key is None:
        raise not_found("API key")
    do_revoke_api_key(key)
    return 204, None


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
