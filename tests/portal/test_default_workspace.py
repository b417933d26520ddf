"""Finding 6: a user lands in their explicit default workspace (their first own one, or the
last one they switched to), never in another workspace because its name sorts first."""

from __future__ import annotations

from typing import Any

import pytest

from kernel.models import Membership, Role, User, Workspace
from portal.members import do_create_workspace
from training.models import Dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def zeta_user_in_alpha() -> tuple[User, Workspace, Workspace]:
    """A user who made "Zeta" and is also a member of "Alpha" (which sorts first by name)."""
    user = User.objects.create_user(email="zeta@example.com", password="pw-12345!")
    own = do_create_workspace(user, "Zeta").workspace
    alpha = Workspace.objects.create(name="Alpha", slug="alpha")
    Membership.objects.create(user=user, workspace=alpha, role=Role.EDITOR)
    return user, own, alpha


def test_sign_in_lands_in_the_default_workspace_not_the_first_by_name(
    client: Any, zeta_user_in_alpha: tuple[User, Workspace, Workspace]
) -> None:
    user, own, _ = zeta_user_in_alpha
    user.refresh_from_db()
    assert user.default_workspace_id == own.pk
    client.force_login(user)
    assert client.get("/api/me").json()["current_workspace_id"] == own.pk
    assert "Zeta · you are owner" in client.get("/workspace/members/").content.decode()


def test_creation_without_workspace_id_lands_in_the_default_workspace(
    client: Any, zeta_user_in_alpha: tuple[User, Workspace, Workspace]
) -> None:
    user, own, alpha = zeta_user_in_alpha
    client.force_login(user)
    response = client.post(
        "/api/training/datasets/identity",
        {"assistant_name": "Ava", "author": "Zeta"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert Dataset.objects.get().workspace_id == own.pk
    body = {"name": "Mine", "mode": "chat"}
    app = client.post("/api/apps", body, content_type="application/json")
    assert app.status_code == 201
    assert app.json()["workspace_id"] == own.pk
    assert not alpha.apps.exists()


def test_switching_changes_the_default_for_the_next_sign_in(
    client: Any, zeta_user_in_alpha: tuple[User, Workspace, Workspace]
) -> None:
    user, _, alpha = zeta_user_in_alpha
    client.force_login(user)
    assert client.post("/workspaces/switch/", {"workspace_id": alpha.pk}).status_code == 302
    user.refresh_from_db()
    assert user.default_workspace_id == alpha.pk
    client.logout()
    client.force_login(user)
    assert client.get("/api/me").json()["current_workspace_id"] == alpha.pk


def test_without_a_default_the_oldest_own_workspace_wins(client: Any) -> None:
    user = User.objects.create_user(email="legacy@example.com", password="pw-12345!")
    alpha = Workspace.objects.create(name="Alpha", slug="alpha")
    own = Workspace.objects.create(name="Zeta", slug="zeta")
    Membership.objects.create(user=user, workspace=alpha, role=Role.ADMIN)
    Membership.objects.create(user=user, workspace=own, role=Role.OWNER)
    client.force_login(user)
    assert client.get("/api/me").json()["current_workspace_id"] == own.pk


def test_a_default_workspace_the_user_left_is_ignored(
    client: Any, zeta_user_in_alpha: tuple[User, Workspace, Workspace]
) -> None:
    user, own, alpha = zeta_user_in_alpha
    User.objects.filter(pk=user.pk).update(default_workspace=alpha)
    Membership.objects.filter(user=user, workspace=alpha).delete()
    client.force_login(user)
    assert client.get("/api/me").json()["current_workspace_id"] == own.pk
