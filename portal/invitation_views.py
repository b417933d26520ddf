"""The page an invitation link opens: accept it while signed in with the invited email, or,
signed out, sign in first or (when the email has no account) choose a password to accept."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from kernel.models import Invitation, Membership
from kernel.workspaces import SESSION_KEY
from portal.invitations import do_accept_invitation, do_sign_up_and_accept, get_invitation
from portal.members import MemberError, MemberForbiddenError, MemberNotFoundError


def _render(
    request: HttpRequest,
    invitation: Invitation | None,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> HttpResponse:
    user = request.user
    other_account = bool(
        invitation and user.is_authenticated and user.email.lower() != invitation.email.lower()
    )
    context = {"invitation": invitation, "errors": errors or {}, "other_account": other_account}
    if other_account and status == 200:
        status = 403
    return render(request, "portal/invitation.html", context, status=status)


@require_http_methods(["GET", "POST"])
def invitation_page(request: HttpRequest, token: str) -> HttpResponse:
    """Show an open invitation (404 when it is not), and accept it on POST."""
    invitation = get_invitation(token)
    if invitation is None:
        return _render(request, None, status=404)
    if request.method == "GET":
        return _render(request, invitation)
    try:
        membership = _accept(request, token)
    except MemberNotFoundError:
        return _render(request, None, status=404)
    except MemberForbiddenError as err:
        return _render(request, invitation, 403, {err.field: err.message})
    except MemberError as err:
        return _render(request, invitation, 400, {err.field: err.message})
    request.session[SESSION_KEY] = membership.workspace_id
    role = membership.get_role_display().lower()
    messages.success(request, f"You joined {membership.workspace.name} as {role}.")
    return redirect("home")


def _accept(request: HttpRequest, token: str) -> Membership:
    if request.user.is_authenticated:
        return do_accept_invitation(request.user, token)
    membership = do_sign_up_and_accept(
        token, request.POST.get("password", ""), request.POST.get("password2", "")
    )
    login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
    return membership
