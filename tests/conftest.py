"""Shared fixtures: members of workspaces with roles, apps with specs, signed-in API clients."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.portal.server import free_port
from tests.specs import echo_chat_spec, echo_workflow_spec

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("WEFT_HTTPS", "0")


def pytest_configure(config: pytest.Config) -> None:
    """The test client and the live test servers speak plain HTTP."""
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def make_member(db: None) -> Callable[..., Any]:
    """Make a user who is a member of a workspace with `role` (a new workspace by default)."""
    from kernel.models import Membership, User, Workspace

    counter = {"n": 0}

    def make(role: str = "owner", workspace: Workspace | None = None) -> Membership:
        counter["n"] += 1
        n = counter["n"]
        user = User.objects.create_user(email=f"user{n}-{role}@example.com", password="pw-12345!")
        if workspace is None:
            workspace = Workspace.objects.create(name=f"Team {n}", slug=f"team-{n}")
        return Membership.objects.create(user=user, workspace=workspace, role=role)

    return make


@pytest.fixture
def owner(make_member: Callable[..., Any]) -> Any:
    """An owner of a fresh workspace."""
    return make_member("owner")


@pytest.fixture
def client_for(client: Any) -> Callable[[Any], Any]:
    """A Django test client signed in as a membership's user."""

    def sign_in(membership: Any) -> Any:
        client.force_login(membership.user)
        return client

    return sign_in


@pytest.fixture
def make_app(db: None) -> Callable[..., Any]:
    """Create an app in a membership's workspace, optionally published, with an API key."""
    from builder.actions.workflows import do_create_app, do_publish_workflow
    from builder.keys import do_create_api_key

    def make(
        membership: Any,
        spec: dict[str, Any] | None = None,
        mode: str = "chat",
        slug: str = "",
        publish: bool = True,
    ) -> tuple[Any, str]:
        spec = spec or (echo_chat_spec() if mode == "chat" else echo_workflow_spec())
        app = do_create_app(
            membership.workspace,
            membership.user,
            slug or f"app-{mode}",
            spec["mode"],
            slug=slug,
            spec=spec,
        )
        if publish:
            do_publish_workflow(app, membership.user)
        _, key = do_create_api_key(app, "test", membership.user)
        return app, key

    return make


@pytest.fixture
def live_url(transactional_db: None) -> Iterator[str]:
    """The base URL of Weft served by uvicorn in this process (sharing the test database)."""
    import uvicorn

    from portal.asgi import application

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
