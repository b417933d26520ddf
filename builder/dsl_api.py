"""Dify DSL over the editor API: export an app's draft, import a file as a new app or as an
app's draft. portal/api.py mounts the router at /api/.

Who may: export as reading the draft (viewers), secrets in it only for admins (the one place
the API hands out a secret, as Dify's export does when asked; it is audited); import and update
as creating an app and saving a draft (editors).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import File, Form, Router, Status, UploadedFile

from builder.access import require_app
from builder.actions.dsl import do_import_app, do_update_from_dsl
from builder.api_apps import app_out
from builder.dsl import MAX_DSL_BYTES, export_app
from builder.schemas import DslImportOut, DslUpdateOut
from kernel.access import get_user, require_workspace
from kernel.audit import do_audit
from kernel.errors import ApiError
from kernel.models import Role

router = Router()

_YAML = "application/x-yaml"


def _read(upload: UploadedFile) -> bytes:
    if (upload.size or 0) > MAX_DSL_BYTES:
        raise ApiError(
            "dsl_too_large",
            413,
            f"a DSL file may have {MAX_DSL_BYTES} bytes at most",
            limit=MAX_DSL_BYTES,
            field="file",
        )
    data: bytes = upload.read()
    return data


@router.get(
    "/apps/{app_id}/dsl",
    response={200: None},
    openapi_extra={
        "responses": {
            200: {
                "description": "The draft as a Dify DSL file (attachment <app name>.yml).",
                "content": {_YAML: {"schema": {"type": "string"}}},
            }
        }
    },
)
def export_dsl(request: HttpRequest, app_id: int, include_secrets: bool = False) -> HttpResponse:
    """The app's saved draft as a Dify DSL file (YAML, version 0.6.0). Secret env values are
    empty unless `include_secrets` (admins; audited)."""
    app = require_app(request, app_id, Role.ADMIN if include_secrets else Role.VIEWER)
    text = export_app(app, include_secrets)
    if include_secrets:
        do_audit(
            workspace_id=app.workspace_id,
            actor=get_user(request),
            action="app.export_secrets",
            target=app.slug,
        )
    response = HttpResponse(text, content_type=f"{_YAML}; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{app.name}.yml")
    return response


@router.post("/apps/import-dsl", response={201: DslImportOut})
def import_dsl_app(
    request: HttpRequest,
    file: File[UploadedFile],
    confirm: Form[bool] = False,
    name: Form[str] = "",
    workspace_id: int | None = None,
) -> Status[dict[str, Any]]:
    """A new app from a Dify DSL file (workflow or chatflow; YAML, 10 MB at most); its warnings
    say what changed. A file without a version is 0.1.0; a newer or other major version is
    answered 409 `dsl_confirm`, which asks: send it again with `confirm` to import it anyway."""
    workspace = require_workspace(request, workspace_id, Role.EDITOR)
    app, notes = do_import_app(workspace, get_user(request), _read(file), confirm, name)
    return Status(201, {"app": app_out(app), "warnings": [n.to_dict() for n in notes]})


@router.post("/apps/{app_id}/dsl", response=DslUpdateOut)
def update_from_dsl(
    request: HttpRequest,
    app_id: int,
    file: File[UploadedFile],
    confirm: Form[bool] = False,
    revision: Form[int | None] = None,
) -> dict[str, Any]:
    """Replace the app's draft with a Dify DSL file's graph and variables (the app's mode must
    match; 409 when `revision` is given and stale). Secrets the file leaves empty keep theirs."""
    app = require_app(request, app_id, Role.EDITOR)
    new_revision, notes = do_update_from_dsl(app, get_user(request), _read(file), confirm, revision)
    return {"revision": new_revision, "warnings": [n.to_dict() for n in notes]}
