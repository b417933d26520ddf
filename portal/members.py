"""Workspace membership changes: change role, remove, and creating a workspace.

People join only by accepting an invitation (portal/invitations.py).

Rules, enforced here rather than in the views:
- only admins and owners change members; only an owner grants or revokes the owner role,
  so an admin can neither touch an owner nor make one;
- a workspace always keeps at least one owner.
Each change writes an `AuditLog` row. The workspace's memberships are locked while a change is
checked and written, so two owners demoting each other at once cannot leave none.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from kernel.audit import do_audit
from kernel.models import Membership, Role, User, Workspace
from kernel.workspaces import do_set_default_workspace


class MemberError(ValueError):
    """A membership change that was refused; `field` names the form field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class MemberForbiddenError(MemberError):
    """The acting member's role does not allow this change (the views answer 403)."""


class MemberNotFoundError(MemberError):
    """The membership is not part of the acting member's workspace (the views answer 404)."""


@dataclass(frozen=True)
class MemberRow:
    """One line of the members list, with what the viewing member may do to it."""

    membership: Membership
    can_change: bool
    locked_reason: str


def parse_role(role: str) -> Role:
    """The role `role` names; MemberError on the role field for anything else."""
    try:
        return Role(role)
    except ValueError:
        raise MemberError("role", f"Unknown role {role!r}.") from None


def lock_members(actor: Membership) -> tuple[Membership, dict[int, Membership]]:
    """The actor's fresh membership and all memberships of its workspace, locked for update.

    Refuses (MemberForbiddenError) unless the actor is still an admin or owner there.
    """
    rows = {
        m.pk: m
        for m in Membership.objects.select_for_update()
        .select_related("user")
        .filter(workspace_id=actor.workspace_id)
    }
    fresh = rows.get(actor.pk)
    if fresh is None or not fresh.allows(Role.ADMIN):
        raise MemberForbiddenError("", "Changing members needs the admin role.")
    return fresh, rows


def _check_can_touch(actor: Membership, target: Membership, new_role: Role | None) -> None:
    """Refuse an admin touching an owner or handing out the owner role."""
    if actor.role == Role.OWNER:
        return
    if target.role == Role.OWNER:
        raise MemberForbiddenError("role", "Only an owner can change another owner.")
    if new_role == Role.OWNER:
        raise MemberForbiddenError("role", "Only an owner can grant the owner role.")


def _owner_count(rows: dict[int, Membership]) -> int:
    return sum(1 for m in rows.values() if m.role == Role.OWNER)


def list_member_rows(actor: Membership) -> list[MemberRow]:
    """The workspace members, oldest first, each marked with whether the actor may change it."""
    members = list(
        Membership.objects.filter(workspace_id=actor.workspace_id)
        .select_related("user")
        .order_by("created_at", "pk")
    )
    owners = sum(1 for m in members if m.role == Role.OWNER)
    rows = []
    for m in members:
        reason = ""
        if not actor.allows(Role.ADMIN):
            reason = "Needs the admin role."
        elif m.role == Role.OWNER and actor.role != Role.OWNER:
            reason = "Only an owner can change an owner."
        elif m.role == Role.OWNER and owners == 1:
            reason = "The last owner can't be demoted or removed."
        rows.append(MemberRow(membership=m, can_change=not reason, locked_reason=reason))
    return rows


def list_assignable_roles(actor: Membership) -> list[tuple[str, str]]:
    """The (value, label) roles the actor may hand out: all for owners, none above admin else."""
    if not actor.allows(Role.ADMIN):
        return []
    return [(r.value, r.label) for r in Role if r != Role.OWNER or actor.role == Role.OWNER]


def _member(rows: dict[int, Membership], member_id: int) -> Membership:
    target = rows.get(member_id)
    if target is None:
        raise MemberNotFoundError("member", "That person is not a member of this workspace.")
    return target


def do_change_role(actor: Membership, member_id: int, role: str) -> Membership:
    """Give a member of the actor's workspace another role."""
    new_role = parse_role(role)
    with transaction.atomic():
        actor, rows = lock_members(actor)
        target = _member(rows, member_id)
        _check_can_touch(actor, target, new_role)
        old_role = target.role
        if old_role == new_role:
            return target
        if old_role == Role.OWNER and _owner_count(rows) == 1:
            raise MemberError("role", "A workspace needs an owner; make someone else owner first.")
        target.role = new_role
        target.save(update_fields=["role"])
        do_audit(
            workspace_id=actor.workspace_id,
            actor=actor.user,
            action="member.role",
            target=target.user.email,
            data={"from": old_role, "to": new_role.value},
        )
    return target


def do_remove_member(actor: Membership, member_id: int) -> Membership:
    """Remove a member from the actor's workspace; returns the deleted membership."""
    with transaction.atomic():
        actor, rows = lock_members(actor)
        target = _member(rows, member_id)
        _check_can_touch(actor, target, None)
        if target.role == Role.OWNER and _owner_count(rows) == 1:
            raise MemberError("member", "The last owner can't be removed; add another owner first.")
        email = target.user.email
        target.delete()
        do_audit(
            workspace_id=actor.workspace_id,
            actor=actor.user,
            action="member.remove",
            target=email,
            data={"role": target.role},
        )
    return target


def do_create_workspace(user: User, name: str) -> Membership:
    """Create a workspace named `name` (slug from the name, unique) with `user` as its owner.

    A user without a default workspace gets this one as theirs.
    """
    name = name.strip()
    if not name:
        raise MemberError("name", "Enter a name for the workspace.")
    max_name = Workspace._meta.get_field("name").max_length or 100
    if len(name) > max_name:
        raise MemberError("name", f"Use at most {max_name} characters.")
    max_slug = Workspace._meta.get_field("slug").max_length or 60
    slug = slugify(name)[:max_slug].strip("-")
    if not slug:
        raise MemberError("name", "Use at least one letter or digit in the name.")
    taken = MemberError("name", f"A workspace with the address {slug!r} exists; pick another name.")
    if Workspace.objects.filter(slug=slug).exists():
        raise taken
    try:
        with transaction.atomic():
            workspace = Workspace.objects.create(name=name, slug=slug)
            membership = Membership.objects.create(user=user, workspace=workspace, role=Role.OWNER)
            do_set_default_workspace(user, workspace.pk, only_if_unset=True)
            do_audit(
                workspace_id=workspace.pk,
                actor=user,
                action="workspace.create",
                target=user.email,
                data={"slug": slug},
            )
    except IntegrityError:  # created by someone else a moment ago
        raise taken from None
    return membership
