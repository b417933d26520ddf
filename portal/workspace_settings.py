"""Workspace settings an admin changes: today whether members may run Python in code nodes.

Read by anyone in the workspace, changed by admins and owners (the API answers 403 below that,
the members page shows the form only to them); each change writes an `AuditLog` row.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema

from kernel.access import get_user, require_membership
from kernel.audit import do_audit
from kernel.models import Membership, Role, User, Workspace

router = Router(tags=["workspace"])


class WorkspaceSettingsOut(Schema):
    workspace_id: int
    allow_code_node: bool
    can_change: bool


class WorkspaceSettingsPatch(Schema):
    allow_code_node: bool


def do_set_code_nodes(workspace_id: int, user: User, allowed: bool) -> Workspace:
    """Turn code nodes on or off in a workspace (the caller checked that `user` is an admin)."""
    with transaction.atomic():
        workspace = Workspace.objects.select_for_update().get(pk=workspace_id)
        if workspace.allow_code_node != allowed:
            workspace.allow_code_node = allowed
            workspace.save(update_fields=["allow_code_node"])
            do_audit(
                workspace_id=workspace.pk,
                actor=user,
                action="workspace.code_nodes",
                target=workspace.slug,
                data={"allow_code_node": allowed},
            )
    return workspace


def _settings_out(membership: Membership, workspace: Workspace) -> dict[str, object]:
    return {
        "workspace_id": workspace.pk,
        "allow_code_node": workspace.allow_code_node,
        "can_change": membership.allows(Role.ADMIN),
    }


@router.get("/workspace/settings", response=WorkspaceSettingsOut)
def get_settings(request: HttpRequest, workspace_id: int | None = None) -> dict[str, object]:
    """The workspace's settings (any member)."""
    membership = require_membership(request, workspace_id, Role.VIEWER)
    return _settings_out(membership, membership.workspace)


@router.patch("/workspace/settings", response=WorkspaceSettingsOut)
def patch_settings(
    request: HttpRequest, body: WorkspaceSettingsPatch, workspace_id: int | None = None
) -> dict[str, object]:
    """Change the workspace's settings (admins and owners)."""
    membership = require_membership(request, workspace_id, Role.ADMIN)
    workspace = do_set_code_nodes(membership.workspace_id, get_user(request), body.allow_code_node)
    return _settings_out(membership, workspace)
