"""Which workspace a signed-in user is working in, and what their role there allows."""

from __future__ import annotations

from django.http import HttpRequest

from kernel.models import Membership, Role, User, Workspace

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
    """The membership of the workspace chosen in the session, else the user's default one.

    Never picks by name: a workspace the user joined lands them there only when they chose it.
    """
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = get_memberships(user)
    by_workspace = {m.workspace_id: m for m in memberships}
    chosen = request.session.get(SESSION_KEY)
    if chosen in by_workspace:
        return by_workspace[chosen]
    return get_default_membership(user, memberships)


def get_default_membership(user: User, memberships: list[Membership]) -> Membership | None:
    """Among `memberships`: the user's default workspace, else their oldest own, else oldest."""
    for membership in memberships:
        if membership.workspace_id == user.default_workspace_id:
            return membership
    oldest = sorted(memberships, key=lambda m: (m.role != Role.OWNER, m.created_at, m.pk))
    return oldest[0] if oldest else None


def do_set_default_workspace(user: User, workspace_id: int, *, only_if_unset: bool = False) -> None:
    """Make `workspace_id` where the user lands after signing in (or only when none is set)."""
    current = user.default_workspace_id
    if only_if_unset and current is not None and get_membership(user, current) is not None:
        return  # a default the user is still a member of stays
    user.default_workspace_id = workspace_id
    user.save(update_fields=["default_workspace"])


def get_membership(user: User, workspace_id: int) -> Membership | None:
    """The user's membership of one workspace, or None when they are not a member.

    A deactivated account has none (its open WebSockets re-check through here).
    """
    if not user.is_authenticated or parse_workspace_id(workspace_id) is None:
        return None
    return (
        Membership.objects.filter(user=user, user__is_active=True, workspace_id=workspace_id)
        .select_related("workspace")
        .first()
    )


def code_nodes_allowed(workspace_id: int) -> bool:
    """Whether the workspace's admin has turned code nodes on (a database read)."""
    return Workspace.objects.filter(pk=workspace_id, allow_code_node=True).exists()
