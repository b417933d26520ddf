"""Invitations: how people join a workspace, by accepting an offer an admin made them.

- Only admins invite, and only owners invite owners (the rules of portal/members.py).
- Inviting answers the same whether the email has a Weft account or not; the link (shown once,
  mailed too when mail is configured) carries a random token of which only a hash is stored.
- The invitee accepts while signed in with the invited email, or, when no account uses it,
  by choosing a password on the link's page; only then does the membership exist.
- Invitations expire after INVITATION_DAYS and can be revoked; each step writes an AuditLog row.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from kernel.audit import do_audit
from kernel.models import Invitation, Membership, Role, User
from kernel.workspaces import do_set_default_workspace
from portal.members import (
    MemberError,
    MemberForbiddenError,
    MemberNotFoundError,
    lock_members,
    parse_role,
)

INVITATION_DAYS = 7


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _pending() -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def list_pending_invitations(actor: Membership) -> list[Invitation]:
    """The workspace's open invitations, newest first (admins and owners only, else none)."""
    if not actor.allows(Role.ADMIN):
        return []
    rows = _pending().filter(workspace_id=actor.workspace_id).select_related("invited_by")
    return list(rows.order_by("-created_at", "-pk"))


def _clean_email(email: str) -> str:
    email = email.strip()
    if not email:
        raise MemberError("email", "Enter the email address of the person to invite.")
    try:
        validate_email(email)
    except ValidationError:
        raise MemberError("email", "Enter a valid email address.") from None
    return email


def do_invite_member(actor: Membership, email: str, role: str) -> tuple[Invitation, str]:
    """Invite `email` to the actor's workspace with `role`; returns it and the link's token.

    The same for emails with and without an account; an open invitation to the same email is
    replaced (revoked), so only the newest link works.
    """
    new_role = parse_role(role)
    with transaction.atomic():
        actor, rows = lock_members(actor)
        if new_role == Role.OWNER and actor.role != Role.OWNER:
            raise MemberForbiddenError("role", "Only an owner can grant the owner role.")
        email = _clean_email(email)
        if any(m.user.email.lower() == email.lower() for m in rows.values()):
            raise MemberError("email", f"{email} is already a member of this workspace.")
        now = timezone.now()
        _pending().filter(workspace_id=actor.workspace_id, email__iexact=email).update(
            revoked_at=now
        )
        token = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            workspace_id=actor.workspace_id,
            email=email,
            role=new_role,
            token_hash=_hash(token),
            invited_by=actor.user,
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
        do_audit(
            workspace_id=actor.workspace_id,
            actor=actor.user,
            action="member.invite",
            target=email,
            data={"role": new_role.value},
        )
    return invitation, token


def send_invitation_mail(invitation: Invitation, link: str) -> bool:
    """Mail the link to the invitee when a mail server is configured; whether it was sent."""
    if not settings.EMAIL_HOST:
        return False
    inviter = invitation.invited_by.email if invitation.invited_by else "Someone"
    send_mail(
        f"Join {invitation.workspace.name} on Weft",
        f"{inviter} invited you to the workspace {invitation.workspace.name} on Weft as "
        f"{invitation.get_role_display().lower()}.\n\nAccept within {INVITATION_DAYS} days: "
        f"{link}\n",
        None,
        [invitation.email],
        fail_silently=True,  # the link is shown to the inviter as well
    )
    return True


def get_invitation(token: str) -> Invitation | None:
    """The open invitation a link's token opens, or None (unknown, used, revoked, expired)."""
    if not token or len(token) > 100:
        return None
    return _pending().filter(token_hash=_hash(token)).select_related("workspace").first()


def do_accept_invitation(user: User, token: str) -> Membership:
    """Make `user`, signed in with the invited email, a member with the invitation's role."""
    with transaction.atomic():
        invitation = _pending().select_for_update().filter(token_hash=_hash(token)).first()
        if invitation is None:
            raise MemberNotFoundError("token", "This invitation is no longer valid.")
        if user.email.lower() != invitation.email.lower():
            raise MemberForbiddenError("email", "This invitation is for another email address.")
        membership, created = Membership.objects.get_or_create(
            user=user, workspace_id=invitation.workspace_id, defaults={"role": invitation.role}
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        if created:
            do_audit(
                workspace_id=invitation.workspace_id,
                actor=user,
                action="member.join",
                target=user.email,
                data={"role": invitation.role, "invitation": invitation.pk},
            )
        do_set_default_workspace(user, invitation.workspace_id, only_if_unset=True)
    return membership


def do_sign_up_and_accept(token: str, password: str, password2: str) -> Membership:
    """Create the account of an invited email that has none, then accept the invitation."""
    invitation = get_invitation(token)
    if invitation is None:
        raise MemberNotFoundError("token", "This invitation is no longer valid.")
    if password != password2:
        raise MemberError("password2", "The two passwords differ.")
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise MemberError("password", "This email has an account: sign in to accept.")
    try:
        validate_password(password, User(email=invitation.email))
    except ValidationError as err:
        raise MemberError("password", " ".join(err.messages)) from None
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=invitation.email, password=password)
            return do_accept_invitation(user, token)
    except IntegrityError:  # the account was created a moment ago
        raise MemberError("password", "This email has an account: sign in to accept.") from None


def do_revoke_invitation(actor: Membership, invitation_id: int) -> Invitation:
    """Revoke an open invitation of the actor's workspace (an owner's only by an owner)."""
    with transaction.atomic():
        actor, _ = lock_members(actor)
        invitation = _pending().filter(pk=invitation_id, workspace_id=actor.workspace_id).first()
        if invitation is None:
            raise MemberNotFoundError("invitation", "No open invitation with that id.")
        if invitation.role == Role.OWNER and actor.role != Role.OWNER:
            raise MemberForbiddenError("role", "Only an owner can revoke an owner's invitation.")
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        do_audit(
            workspace_id=actor.workspace_id,
            actor=actor.user,
            action="member.invite.revoke",
            target=invitation.email,
            data={"role": invitation.role},
        )
    return invitation
