"""Finding 6: people join a workspace only by accepting an invitation; inviting answers the same
for emails with and without an account; invitations expire and can be revoked."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from kernel.models import AuditLog, Invitation, Membership, Role, User
from portal.invitations import do_invite_member
from portal.members import MemberError, MemberForbiddenError

pytestmark = pytest.mark.django_db

PASSWORD = "pw-12345!"


def _user(email: str) -> User:
    return User.objects.create_user(email=email, password=PASSWORD)


def _invite(client: Any, email: str, role: str = "editor") -> tuple[Any, str]:
    """POST the invite form; the response and the link the members page then shows once."""
    response = client.post("/workspace/members/invite/", {"email": email, "role": role})
    assert response.status_code == 302
    page = client.get("/workspace/members/").content.decode()
    link = re.search(r'id="invite-link-url" readonly value="(http[^"]+)"', page)
    assert link is not None
    return page, link.group(1).removeprefix("http://testserver")


def test_invite_answers_the_same_for_known_and_unknown_emails(client_for: Any, owner: Any) -> None:
    _user("known@example.com")
    client = client_for(owner)
    answers = []
    for email in ("known@example.com", "unknown@example.com"):
        response = client.post("/workspace/members/invite/", {"email": email, "role": "editor"})
        flashed = [str(m) for m in response.wsgi_request._messages]
        answers.append((response.status_code, response["Location"], flashed, email))
        page = client.get("/workspace/members/").content.decode()
        assert f"Invitation created for {email}." in page
        assert 'id="invite-link-url"' in page
    (status, location, flashed, _), (status2, location2, flashed2, _) = answers
    assert (status, location) == (status2, location2) == (302, "/workspace/members/")
    assert [f.replace("unknown@", "known@") for f in flashed2] == flashed
    assert not Membership.objects.filter(user__email="known@example.com").exists()
    rows = Invitation.objects.order_by("pk").values("role", "accepted_at", "revoked_at")
    assert list(rows) == [{"role": "editor", "accepted_at": None, "revoked_at": None}] * 2
    assert [a.action for a in AuditLog.objects.all()] == ["member.invite", "member.invite"]


def test_invited_user_joins_only_after_accepting(client_for: Any, owner: Any, client: Any) -> None:
    invitee = _user("invitee@example.com")
    _, link = _invite(client_for(owner), "Invitee@Example.com", "viewer")
    assert not Membership.objects.filter(user=invitee).exists()
    client.force_login(invitee)
    page = client.get(link)
    assert page.status_code == 200
    assert owner.workspace.name in page.content.decode()
    assert not Membership.objects.filter(user=invitee).exists()  # opening the link is not consent
    assert client.post(link).status_code == 302
    joined = Membership.objects.get(user=invitee)
    assert (joined.workspace, joined.role) == (owner.workspace, Role.VIEWER)
    assert AuditLog.objects.filter(action="member.join", target=invitee.email).exists()
    assert client.get(link).status_code == 404  # used
    invitee.refresh_from_db()
    assert invitee.default_workspace_id == owner.workspace_id  # it was their first workspace


def test_invitation_for_an_email_without_account_sets_a_password(
    client_for: Any, owner: Any, client: Any
) -> None:
    _, link = _invite(client_for(owner), "fresh@example.com")
    client.logout()
    html = client.get(link).content.decode()
    assert 'id="sign-up-form"' in html
    assert "/login/?next=" in html
    differ = client.post(link, {"password": PASSWORD, "password2": "other-pw-1"})
    assert differ.status_code == 400
    assert 'data-field="password2"' in differ.content.decode()
    weak = client.post(link, {"password": "short", "password2": "short"})
    assert weak.status_code == 400
    assert 'data-field="password"' in weak.content.decode()
    assert not User.objects.filter(email="fresh@example.com").exists()
    assert client.post(link, {"password": PASSWORD, "password2": PASSWORD}).status_code == 302
    user = User.objects.get(email="fresh@example.com")
    assert user.check_password(PASSWORD)
    assert Membership.objects.get(user=user).workspace == owner.workspace
    assert client.get("/api/me").json()["current_workspace_id"] == owner.workspace_id


def test_sign_up_does_not_touch_an_existing_account(
    client_for: Any, owner: Any, client: Any
) -> None:
    existing = _user("has-account@example.com")
    _, link = _invite(client_for(owner), existing.email)
    client.logout()
    response = client.post(link, {"password": "new-pw-4567!", "password2": "new-pw-4567!"})
    assert response.status_code == 400
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD)
    assert not Membership.objects.filter(user=existing).exists()


def test_another_account_cannot_accept(
    client_for: Any, owner: Any, make_member: Any, client: Any
) -> None:
    _, link = _invite(client_for(owner), "someone@example.com")
    other = make_member("owner")
    client.force_login(other.user)
    assert client.get(link).status_code == 403
    assert client.post(link).status_code == 403
    assert not Membership.objects.filter(user=other.user, workspace=owner.workspace).exists()


def test_expired_revoked_and_unknown_links_do_not_open(
    client_for: Any, owner: Any, client: Any
) -> None:
    invitee = _user("late@example.com")
    _, link = _invite(client_for(owner), invitee.email)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(invitee)
    assert client.get(link).status_code == 404
    assert client.post(link).status_code == 404
    assert client.get("/invitations/not-a-token/").status_code == 404
    assert client.get("/invitations/" + "x" * 500 + "/").status_code == 404
    assert not Membership.objects.filter(user=invitee).exists()


def test_revoking_closes_the_link_and_logs_it(client_for: Any, owner: Any, client: Any) -> None:
    invitee = _user("revoked@example.com")
    admin_client = client_for(owner)
    _, link = _invite(admin_client, invitee.email)
    invitation = Invitation.objects.get()
    page = admin_client.get("/workspace/members/").content.decode()
    assert f'action="/workspace/invitations/{invitation.pk}/revoke/"' in page
    assert admin_client.post(f"/workspace/invitations/{invitation.pk}/revoke/").status_code == 302
    assert AuditLog.objects.filter(action="member.invite.revoke").exists()
    page = admin_client.get("/workspace/members/").content.decode()
    assert "revoked@example.com</td>" not in page
    client.force_login(invitee)
    assert client.post(link).status_code == 404
    assert not Membership.objects.filter(user=invitee).exists()


def test_inviting_again_replaces_the_old_link(client_for: Any, owner: Any, client: Any) -> None:
    invitee = _user("twice@example.com")
    admin_client = client_for(owner)
    _, first = _invite(admin_client, invitee.email)
    _, second = _invite(admin_client, invitee.email)
    client.force_login(invitee)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_revoke_follows_the_owner_rule_and_the_workspace(
    make_member: Any, owner: Any, client_for: Any
) -> None:
    admin = make_member("admin", workspace=owner.workspace)
    owner_invite, _ = do_invite_member(owner, "boss@example.com", "owner")
    stranger = make_member("owner")
    elsewhere, _ = do_invite_member(stranger, "x@example.com", "viewer")
    client = client_for(admin)
    assert client.post(f"/workspace/invitations/{owner_invite.pk}/revoke/").status_code == 403
    assert client.post(f"/workspace/invitations/{elsewhere.pk}/revoke/").status_code == 404
    assert Invitation.objects.filter(revoked_at__isnull=True).count() == 2


def test_invite_keeps_the_role_rules(make_member: Any, owner: Any) -> None:
    admin = make_member("admin", workspace=owner.workspace)
    editor = make_member("editor", workspace=owner.workspace)
    with pytest.raises(MemberForbiddenError):
        do_invite_member(admin, "boss@example.com", "owner")
    with pytest.raises(MemberForbiddenError):
        do_invite_member(editor, "new@example.com", "viewer")
    with pytest.raises(MemberError) as err:
        do_invite_member(owner, "new@example.com", "superuser")
    assert err.value.field == "role"
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b@c"])
def test_invite_names_the_email_field_for_a_bad_email(
    client_for: Any, owner: Any, email: str
) -> None:
    response = client_for(owner).post("/workspace/members/invite/", {"email": email})
    assert response.status_code == 400
    assert 'id="invite-email-error" data-field="email"' in response.content.decode()
    assert not Invitation.objects.exists()


def test_invite_names_the_email_field_for_an_existing_member(make_member: Any, owner: Any) -> None:
    editor = make_member("editor", workspace=owner.workspace)
    with pytest.raises(MemberError) as err:
        do_invite_member(owner, editor.user.email.upper(), "viewer")
    assert err.value.field == "email"


def test_invitation_link_is_mailed_only_when_mail_is_configured(
    client_for: Any, owner: Any, settings: Any
) -> None:
    client = client_for(owner)
    settings.EMAIL_HOST = ""
    _invite(client, "nomail@example.com")
    assert mail.outbox == []
    settings.EMAIL_HOST = "smtp.example.com"
    page, link = _invite(client, "mail@example.com")
    assert "also mailed" in page
    assert [m.to for m in mail.outbox] == [["mail@example.com"]]
    assert link in mail.outbox[0].body
