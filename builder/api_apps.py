"""The editor API's apps: list, create (blank or from a template), read, change, delete."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from builder.access import require_app
from builder.actions.workflows import do_create_app
from builder.models import App
from builder.published import forget_published, serving_versions
from builder.schemas import AppIn, AppOut, AppPatch, AppTemplateOut
from builder.templates import list_templates, template_spec
from kernel.access import get_user, require_workspace
from kernel.errors import ApiError
from kernel.models import Role

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


@router.get("/apps", response=list[AppOut])
def list_apps(request: HttpRequest, workspace_id: int | None = None) -> list[dict[str, Any]]:
    """The apps of a workspace (the current one by default)."""
    workspace = require_workspace(request, workspace_id, Role.VIEWER)
    return [app_out(a) for a in App.objects.filter(workspace=workspace)]


@router.post("/apps", response={201: AppOut})
def create_app(request: HttpRequest, body: AppIn) -> Status[dict[str, Any]]:
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
    return Status(201, app_out(app))


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
def delete_app(request: HttpRequest, app_id: int) -> Status[None]:
    """Delete an app with its versions, runs and keys (admins)."""
    require_app(request, app_id, Role.ADMIN).delete()
    return Status(204, None)
