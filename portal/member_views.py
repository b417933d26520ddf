"""Portal pages for a workspace's people: members, invitations, roles, new workspaces, settings.

Server-rendered forms that post back here; a refused form comes back with its values and errors.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from kernel.models import Membership, Role
from kernel.workspaces import SESSION_KEY
from portal.invitations import (
    do_invite_member,
    do_revoke_invitation,
    list_pending_invitations,
    send_invitation_mail,
)
from portal.members import (
    MemberError,
    MemberForbiddenError,
    MemberNotFoundError,
    do_change_role,
    do_create_workspace,
    do_remove_member,
    list_assignable_roles,
    list_member_rows,
)
from portal.workspace_settings import do_set_code_nodes

INVITE_LINK_KEY = "weft_invite_link"  # the link just created, shown once on the members page


def _current_membership(request: HttpRequest) -> Membership | None:
    membership = request.membership  # type: ignore[attr-defined]  # set by our middleware
    return membership if membership else None


def _acting_membership(request: HttpRequest) -> Membership:
    """The membership a member change acts from; 403 without a current workspace."""
    membership = _current_membership(request)
    if membership is None:
        raise PermissionDenied("no workspace")
    return membership


def _members_page(request: HttpRequest, status: int = 200, **forms: dict[str, str]) -> HttpResponse:
    """The members page; `forms` carries a refused form's values and errors back to it."""
    membership = _current_membership(request)
    context: dict[str, object] = {
        "rows": list_member_rows(membership) if membership else [],
        "can_manage": bool(membership and membership.allows(Role.ADMIN)),
        "roles": list_assignable_roles(membership) if membership else [],
        "invitations": list_pending_invitations(membership) if membership else [],
        "invite_link": request.session.pop(INVITE_LINK_KEY, None),
        **forms,
    }
    return render(request, "portal/members.html", context, status=status)


def _raise_http_error(err: MemberError) -> None:
    """403 or 404 for the refusals a form can't fix; other errors go back to the form."""
    if isinstance(err, MemberNotFoundError):
        raise Http404(err.message)
    if isinstance(err, MemberForbiddenError):
        raise PermissionDenied(err.message)


@login_required
@require_safe
def members_page(request: HttpRequest) -> HttpResponse:
    """The current workspace's members; admins and owners also get the forms to change them."""
    return _members_page(request)


@login_required
@require_POST
def invite_member(request: HttpRequest) -> HttpResponse:
    """Invite an email to the current workspace (admins and up); the same answer for any email."""
    membership = _acting_membership(request)
    email = request.POST.get("email", "")
    role = request.POST.get("role", Role.EDITOR)
    try:
        invitation, token = do_invite_member(membership, email, role)
    except MemberError as err:
        _raise_http_error(err)
        values = {"email": email, "role": role}
        return _members_page(
            request, 400, invite_form=values, invite_errors={err.field: err.message}
        )
    link = request.build_absolute_uri(reverse("invitation", args=[token]))
    mailed = send_invitation_mail(invitation, link)
    request.session[INVITE_LINK_KEY] = {"email": invitation.email, "link": link, "mailed": mailed}
    messages.success(request, f"Invitation created for {invitation.email}.")
    return redirect("members")


@login_required
@require_POST
def revoke_invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """Revoke an open invitation of the current workspace (admins and up)."""
    membership = _acting_membership(request)
    try:
        revoked = do_revoke_invitation(membership, invitation_id)
    except MemberError as err:
        _raise_http_error(err)
        messages.error(request, err.message)
        return redirect("members")
    messages.success(request, f"Revoked the invitation of {revoked.email}.")
    return redirect("members")


@login_required
@require_POST
def change_member_role(request: HttpRequest, member_id: int) -> HttpResponse:
    """Give a member of the current workspace another role (admins and up)."""
    membership = _acting_membership(request)
    try:
        changed = do_change_role(membership, member_id, request.POST.get("role", ""))
    except MemberError as err:
        _raise_http_error(err)
        messages.error(request, err.message)
        return redirect("members")
    messages.success(request, f"{changed.user.email} is now {changed.get_role_display().lower()}.")
    return redirect("members")


@login_required
@require_POST
def remove_member(request: HttpRequest, member_id: int) -> HttpResponse:
    """Remove a member from the current workspace (admins and up)."""
    membership = _acting_membership(request)
    try:
        removed = do_remove_member(membership, member_id)
    except MemberError as err:
        _raise_http_error(err)
        messages.error(request, err.message)
        return redirect("members")
    messages.success(request, f"Removed {removed.user.email} from {membership.workspace.name}.")
    if removed.user_id == request.user.pk:
        return redirect("home")  # they left the workspace, so its members page is closed to them
    return redirect("members")


@login_required
@require_POST
def new_workspace(request: HttpRequest) -> HttpResponse:
    """Create a workspace owned by the signed-in user and make it the current one."""
    name = request.POST.get("name", "")
    try:
        created = do_create_workspace(request.user, name)  # type: ignore[arg-type]  # signed in
    except MemberError as err:
        return _members_page(
            request, 400, workspace_form={"name": name}, workspace_errors={err.field: err.message}
        )
    request.session[SESSION_KEY] = created.workspace_id
    messages.success(request, f"Created {created.workspace.name}; you are its owner.")
    return redirect("members")


@login_required
@require_POST
def change_workspace_settings(request: HttpRequest) -> HttpResponse:
    """Turn code nodes on or off in the current workspace (admins and up)."""
    membership = _acting_membership(request)
    if not membership.allows(Role.ADMIN):
        raise PermissionDenied("Changing workspace settings needs the admin role.")
    allowed = request.POST.get("allow_code_node") == "on"
    do_set_code_nodes(membership.workspace_id, membership.user, allowed)
    messages.success(request, f"Code nodes are {'on' if allowed else 'off'} in this workspace.")
    return redirect("members")
