"""Workspace scoping and roles for the editor APIs: every lookup goes through here."""

from __future__ import annotations

from django.http import HttpRequest

from kernel.errors import ApiError, forbidden, not_found
from kernel.models import Membership, User, Workspace
from kernel.workspaces import get_current_membership, get_membership, parse_workspace_id


def get_user(request: HttpRequest) -> User:
    """The signed-in user (the API's auth has already refused anonymous callers)."""
    return request.user  # type: ignore[return-value]  # auth=django_auth guarantees a User


def require_membership(request: HttpRequest, workspace_id: int | None, role: str) -> Membership:
    """The caller's membership of a workspace (current one if None), at least `role`."""
    if workspace_id is None:
        membership = get_current_membership(request)
    elif parse_workspace_id(workspace_id) is None:
        raise ApiError(
            "invalid_param", 422, "workspace_id: not a workspace id", field="workspace_id"
        )
    else:
        membership = get_membership(get_user(request), workspace_id)
    if membership is None:
        raise not_found("workspace")
    if not membership.allows(role):
        raise forbidden(role)
    return membership


def require_workspace(request: HttpRequest, workspace_id: int | None, role: str) -> Workspace:
    """The workspace of `require_membership`."""
    return require_membership(request, workspace_id, role).workspace


def require_role_over(request: HttpRequest, workspace_id: int, role: str, what: str) -> None:
    """Refuse unless the caller has at least `role` in the workspace a thing (`what`) lives in.

    A caller outside that workspace gets the 404 of `what`, as if it did not exist: other
    workspaces' apps, jobs and adapters are never revealed.
    """
    membership = get_membership(get_user(request), workspace_id)
    if membership is None:
        raise not_found(what)
    if not membership.allows(role):
        raise forbidden(role)
