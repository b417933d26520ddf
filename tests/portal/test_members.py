"""The members page and its actions: re-roling and removing members, new workspaces.

Joining by invitation: test_invitations.py."""

from __future__ import annotations

from typing import Any

import pytest

from kernel.models import AuditLog, Invitation, Membership, Role, User, Workspace
from kernel.workspaces import SESSION_KEY
from portal.members import (
    MemberError,
    MemberForbiddenError,
    do_change_role,
    do_create_workspace,
    do_remove_member,
)

pytestmark = pytest.mark.django_db


def _user(email: str) -> User:
    return User.objects.create_user(email=email, password="pw-12345!")


def _audit(workspace: Workspace) -> list[tuple[str, str]]:
    return [(a.action, a.target) for a in AuditLog.objects.filter(workspace=workspace)]


def test_members_page_redirects_anonymous_users_to_login(client: Any) -> None:
    response = client.get("/workspace/members/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_members_page_lists_members_with_forms_for_an_admin(
    client_for: Any, make_member: Any
) -> None:
    admin = make_member("admin")
    viewer = make_member("viewer", workspace=admin.workspace)
    html = client_for(admin).get("/workspace/members/").content.decode()
    assert admin.user.email in html
    assert viewer.user.email in html
    assert 'action="/workspace/members/invite/"' in html
    assert f'action="/workspace/members/{viewer.pk}/role/"' in html
    assert '<option value="owner"' not in html  # an admin can't hand out the owner role


def test_members_page_is_read_only_for_an_editor(client_for: Any, make_member: Any) -> None:
    owner = make_member("owner")
    editor = make_member("editor", workspace=owner.workspace)
    response = client_for(editor).get("/workspace/members/")
    html = response.content.decode()
    assert response.status_code == 200
    assert owner.user.email in html
    assert "/workspace/members/invite/" not in html
    assert "/role/" not in html
    assert "/remove/" not in html


def test_members_page_hides_other_workspaces_from_non_members(
    client_for: Any, make_member: Any
) -> None:
    other = make_member("owner")
    outsider = make_member("owner")
    client = client_for(outsider)
    session = client.session
    session[SESSION_KEY] = other.workspace_id  # a stale or forged choice of workspace
    session.save()
    html = client.get("/workspace/members/").content.decode()
    assert outsider.user.email in html
    assert other.user.email not in html
    assert other.workspace.name not in html


def test_change_role_updates_the_role_and_logs_it(
    client_for: Any, make_member: Any, owner: Any
) -> None:
    editor = make_member("editor", workspace=owner.workspace)
    response = client_for(owner).post(f"/workspace/members/{editor.pk}/role/", {"role": "admin"})
    assert response.status_code == 302
    assert Membership.objects.get(pk=editor.pk).role == Role.ADMIN
    log = AuditLog.objects.get(workspace=owner.workspace)
    assert (log.action, log.target) == ("member.role", editor.user.email)
    assert log.data == {"from": "editor", "to": "admin"}


def test_remove_member_deletes_the_membership_and_logs_it(
    client_for: Any, make_member: Any, owner: Any
) -> None:
    viewer = make_member("viewer", workspace=owner.workspace)
    response = client_for(owner).post(f"/workspace/members/{viewer.pk}/remove/")
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=viewer.pk).exists()
    assert User.objects.filter(pk=viewer.user_id).exists()
    assert _audit(owner.workspace) == [("member.remove", viewer.user.email)]


def test_owner_can_grant_the_owner_role(make_member: Any, owner: Any) -> None:
    admin = make_member("admin", workspace=owner.workspace)
    do_change_role(owner, admin.pk, "owner")
    assert Membership.objects.get(pk=admin.pk).role == Role.OWNER


def test_last_owner_cannot_demote_themselves(client_for: Any, owner: Any) -> None:
    client = client_for(owner)
    response = client.post(f"/workspace/members/{owner.pk}/role/", {"role": "admin"})
    assert response.status_code == 302
    assert Membership.objects.get(pk=owner.pk).role == Role.OWNER
    assert "needs an owner" in client.get("/workspace/members/").content.decode()
    assert not AuditLog.objects.exists()


def test_last_owner_cannot_be_removed(owner: Any) -> None:
    with pytest.raises(MemberError) as err:
        do_remove_member(owner, owner.pk)
    assert not isinstance(err.value, MemberForbiddenError)
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_one_of_two_owners_can_step_down(make_member: Any, owner: Any) -> None:
    second = make_member("owner", workspace=owner.workspace)
    do_change_role(second, owner.pk, "editor")
    assert Membership.objects.get(pk=owner.pk).role == Role.EDITOR
    with pytest.raises(MemberError):
        do_remove_member(second, second.pk)  # now the last owner


def test_admin_cannot_change_or_remove_an_owner(
    client_for: Any, make_member: Any, owner: Any
) -> None:
    admin = make_member("admin", workspace=owner.workspace)
    client = client_for(admin)
    assert (
        client.post(f"/workspace/members/{owner.pk}/role/", {"role": "viewer"}).status_code == 403
    )
    assert client.post(f"/workspace/members/{owner.pk}/remove/").status_code == 403
    assert Membership.objects.get(pk=owner.pk).role == Role.OWNER
    assert not AuditLog.objects.exists()


def test_admin_cannot_grant_the_owner_role(client_for: Any, make_member: Any, owner: Any) -> None:
    admin = make_member("admin", workspace=owner.workspace)
    editor = make_member("editor", workspace=owner.workspace)
    _user("new@example.com")
    client = client_for(admin)
    assert (
        client.post(f"/workspace/members/{editor.pk}/role/", {"role": "owner"}).status_code == 403
    )
    assert client.post(f"/workspace/members/{admin.pk}/role/", {"role": "owner"}).status_code == 403
    added = client.post("/workspace/members/invite/", {"email": "new@example.com", "role": "owner"})
    assert added.status_code == 403
    assert not Membership.objects.filter(role=Role.OWNER).exclude(pk=owner.pk).exists()
    assert not Membership.objects.filter(user__email="new@example.com").exists()
    assert not Invitation.objects.exists()


def test_admin_can_change_and_remove_non_owners(make_member: Any, owner: Any) -> None:
    admin = make_member("admin", workspace=owner.workspace)
    editor = make_member("editor", workspace=owner.workspace)
    do_change_role(admin, editor.pk, "viewer")
    do_remove_member(admin, editor.pk)
    assert _audit(owner.workspace) == [
        ("member.remove", editor.user.email),
        ("member.role", editor.user.email),
    ]


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_member_actions_forbid_roles_below_admin(
    client_for: Any, make_member: Any, owner: Any, role: str
) -> None:
    member = make_member(role, workspace=owner.workspace)
    victim = make_member("viewer", workspace=owner.workspace)
    _user("new@example.com")
    client = client_for(member)
    posts = [
        ("/workspace/members/invite/", {"email": "new@example.com", "role": "viewer"}),
        (f"/workspace/members/{victim.pk}/role/", {"role": "admin"}),
        (f"/workspace/members/{victim.pk}/remove/", {}),
        (f"/workspace/members/{member.pk}/role/", {"role": "admin"}),
    ]
    for path, data in posts:
        assert client.post(path, data).status_code == 403, path
    assert Membership.objects.get(pk=victim.pk).role == Role.VIEWER
    assert Membership.objects.get(pk=member.pk).role == role
    assert not Membership.objects.filter(user__email="new@example.com").exists()
    assert not Invitation.objects.exists()
    assert not AuditLog.objects.exists()


def test_member_actions_404_for_another_workspaces_member(
    client_for: Any, make_member: Any, owner: Any
) -> None:
    stranger = make_member("editor")
    client = client_for(owner)
    assert client.post(
        f"/workspace/members/{stranger.pk}/role/", {"role": "viewer"}
    ).status_code == (404)
    assert client.post(f"/workspace/members/{stranger.pk}/remove/").status_code == 404
    assert Membership.objects.get(pk=stranger.pk).role == Role.EDITOR


def test_change_role_names_the_role_field_for_an_unknown_role(make_member: Any, owner: Any) -> None:
    editor = make_member("editor", workspace=owner.workspace)
    with pytest.raises(MemberError) as err:
        do_change_role(owner, editor.pk, "superuser")
    assert err.value.field == "role"


def test_new_workspace_makes_the_creator_owner_and_switches_to_it(
    client_for: Any, make_member: Any
) -> None:
    editor = make_member("editor")
    client = client_for(editor)
    response = client.post("/workspaces/new/", {"name": "Research Lab"})
    assert response.status_code == 302
    workspace = Workspace.objects.get(slug="research-lab")
    assert workspace.name == "Research Lab"
    membership = Membership.objects.get(workspace=workspace)
    assert (membership.user, membership.role) == (editor.user, Role.OWNER)
    assert client.session[SESSION_KEY] == workspace.pk
    home = client.get("/").content.decode()
    assert "Research Lab · you are owner" in home


def test_new_workspace_names_the_name_field_when_the_slug_is_taken(
    client_for: Any, owner: Any
) -> None:
    Workspace.objects.create(name="Research lab", slug="research-lab")
    response = client_for(owner).post("/workspaces/new/", {"name": "Research  Lab!"})
    assert response.status_code == 400
    assert list(response.context["workspace_errors"]) == ["name"]
    assert 'id="workspace-name-error" data-field="name"' in response.content.decode()
    assert Workspace.objects.filter(slug="research-lab").count() == 1
    assert owner.user.memberships.count() == 1


@pytest.mark.parametrize("name", ["", "   ", "!!!"])
def test_create_workspace_names_the_name_field_for_an_unusable_name(owner: Any, name: str) -> None:
    with pytest.raises(MemberError) as err:
        do_create_workspace(owner.user, name)
    assert err.value.field == "name"


def test_new_workspace_works_for_a_user_without_any_workspace(client: Any) -> None:
    loner = _user("loner@example.com")
    client.force_login(loner)
    page = client.get("/workspace/members/")
    assert page.status_code == 200
    assert 'action="/workspaces/new/"' in page.content.decode()
    client.post("/workspaces/new/", {"name": "Solo"})
    assert Membership.objects.get(user=loner).role == Role.OWNER
