"""The editor API's drafts and versions: save and check the draft, publish it, and read,
restore and compare the versions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from builder.access import require_app
from builder.actions.workflows import (
    do_publish_workflow,
    do_restore_version,
    do_save_draft,
    get_draft_report,
    get_stored_report,
    parse_spec,
)
from builder.models import App, AppVersion, Workflow
from builder.schemas import (
    DraftIn,
    DraftOut,
    DraftSaved,
    GraphReportOut,
    PublishIn,
    RestoreIn,
    ValidateIn,
    VersionDetail,
    VersionDiffOut,
    VersionOut,
)
from builder.secrets import mask_secrets
from kernel.access import get_user
from kernel.errors import ApiError, not_found
from kernel.models import Role
from runtime.diff import diff_specs

router = Router()


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
def publish(request: HttpRequest, app_id: int, body: PublishIn) -> Status[dict[str, Any]]:
    """Publish the draft as a new version (422 with the issues when it is invalid)."""
    app = require_app(request, app_id, Role.EDITOR)
    version = do_publish_workflow(app, get_user(request), body.note)
    return Status(201, _version_out(version))


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
