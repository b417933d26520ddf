"""Which workspace a signed-in user is working in, and what their role there allows."""

from __future__ import annotations

from django.http import HttpRequest

from portal.models import Membership, User

SESSION_KEY = "weft_workspace_id"
MAX_ID = 2**63 - 1  # the largest key a database's bigint column holds


def parse_workspace_id(value: object) -> int | None:
    """The workspace id `value` spells (a positive integer a key column holds), else None."""
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit()):
            return None
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_ID:
        return None
    return value


def get_memberships(user: User) -> list[Membership]:
    """The user's memberships, workspaces loaded, ordered by workspace name."""
    return list(
        Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")
    )


def get_current_membership(request: HttpRequest) -> Membership | None:
    """The membership of the workspace chosen in the session, else the user's first one."""
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = get_memberships(user)
    if not memberships:
        return None
    chosen = request.session.get(SESSION_KEY)
    for membership in memberships:
        if membership.workspace_id == chosen:
            return membership
    return memberships[0]


def get_membership(user: User, workspace_id: int) -> Membership | None:
    """The user's membership of one workspace, or None when they are not a member."""
    if not user.is_authenticated or parse_workspace_id(workspace_id) is None:
        return None
    return (
        Membership.objects.filter(user=user, workspace_id=workspace_id)
        .select_related("workspace")
        .first()
    )
