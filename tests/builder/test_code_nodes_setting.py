"""Code nodes are off until a workspace admin turns them on: the draft's report, a draft run and
publishing refuse a code node until then, a run start withholds the sandbox, and only admins
change the setting (API and members page), each change audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kernel.models import AuditLog, Workspace
from kernel.resources import offered, resolve
from runtime.resources import CODE_SANDBOX

pytestmark = [pytest.mark.django_db(transaction=True)]

OFF = "the workspace's admin has not turned on code nodes"
JSON = "application/json"


def code_spec() -> dict[str, Any]:
    """Start(name) → Code (upper-cases it) → End(out)."""
    code = "def main(name: str) -> dict:\n    return {'result': name.upper()}\n"
    return {
        "mode": "workflow",
        "nodes": [
            {
                "id": "start",
                "type": "start",
                "config": {"variables": [{"variable": "name", "type": "text", "required": True}]},
            },
            {
                "id": "code",
                "type": "code",
                "config": {
                    "variables": [{"variable": "name", "value_selector": ["start", "name"]}],
                    "code": code,
                    "outputs": [{"variable": "result", "type": "string"}],
                },
            },
            {
                "id": "end",
                "type": "end",
                "config": {"outputs": [{"variable": "out", "value_selector": ["code", "result"]}]},
            },
        ],
        "edges": [{"source": "start", "target": "code"}, {"source": "code", "target": "end"}],
    }


def test_code_node_is_refused_until_an_admin_turns_code_nodes_on(
    owner: Any, make_app: Callable[..., Any], client_for: Callable[[Any], Any]
) -> None:
    app, _ = make_app(owner, spec=code_spec(), mode="workflow", publish=False)
    client = client_for(owner)
    issues = client.get(f"/api/apps/{app.pk}/draft").json()["issues"]
    assert [(i["code"], i["node_id"]) for i in issues] == [("missing_resource", "code")]
    assert OFF in issues[0]["message"]
    run = client.post(f"/api/apps/{app.pk}/runs", {"inputs": {"name": "ada"}}, content_type=JSON)
    assert (run.status_code, run.json()["code"]) == (422, "graph_invalid")
    published = client.post(f"/api/apps/{app.pk}/publish", {}, content_type=JSON)
    assert (published.status_code, published.json()["code"]) == (422, "graph_invalid")

    turned = client.patch("/api/workspace/settings", {"allow_code_node": True}, content_type=JSON)
    assert turned.status_code == 200, turned.json()
    assert turned.json()["allow_code_node"] is True
    assert client.get(f"/api/apps/{app.pk}/draft").json()["issues"] == []
    run = client.post(f"/api/apps/{app.pk}/runs", {"inputs": {"name": "ada"}}, content_type=JSON)
    body = run.json()
    assert run.status_code == 200, body
    assert (body["status"], body["outputs"]) == ("succeeded", {"out": "ADA"})
    assert client.post(f"/api/apps/{app.pk}/publish", {}, content_type=JSON).status_code == 201


async def test_code_sandbox_is_given_to_a_run_only_where_code_nodes_are_on(
    make_member: Callable[..., Any],
) -> None:
    from asgiref.sync import sync_to_async

    on, off = await sync_to_async(lambda: (make_member(), make_member()))()
    await Workspace.objects.filter(pk=on.workspace_id).aupdate(allow_code_node=True)
    assert CODE_SANDBOX in offered()  # builder provides it; the setting decides per workspace
    assert CODE_SANDBOX in await sync_to_async(offered)(on.workspace_id)
    assert CODE_SANDBOX not in await sync_to_async(offered)(off.workspace_id)
    assert CODE_SANDBOX in (await resolve({CODE_SANDBOX}, on.workspace_id))
    # a published version compiled while it was on still gets no sandbox once it is off
    assert (await resolve({CODE_SANDBOX}, off.workspace_id)).keys() == frozenset()


def test_workspace_settings_change_needs_an_admin_and_is_audited(
    make_member: Callable[..., Any], client_for: Callable[[Any], Any]
) -> None:
    admin = make_member("admin")
    editor = make_member("editor", workspace=admin.workspace)
    client = client_for(editor)
    seen = client.get("/api/workspace/settings").json()
    assert (seen["allow_code_node"], seen["can_change"]) == (False, False)
    refused = client.patch("/api/workspace/settings", {"allow_code_node": True}, content_type=JSON)
    assert refused.status_code == 403
    assert client.post("/workspace/settings/", {"allow_code_node": "on"}).status_code == 403
    assert not Workspace.objects.get(pk=admin.workspace_id).allow_code_node

    client = client_for(admin)
    bad = client.patch("/api/workspace/settings", {"allow_code_node": "maybe"}, content_type=JSON)
    assert (bad.status_code, bad.json()["field"]) == (422, "allow_code_node")
    page = client.post("/workspace/settings/", {"allow_code_node": "on"})
    assert page.status_code == 302
    assert Workspace.objects.get(pk=admin.workspace_id).allow_code_node
    assert 'id="allow-code-node" checked' in client.get("/workspace/members/").content.decode()
    client.post("/workspace/settings/", {})  # an unticked box is not sent: off
    assert not Workspace.objects.get(pk=admin.workspace_id).allow_code_node
    changes = AuditLog.objects.filter(action="workspace.code_nodes").order_by("pk")
    assert [c.data for c in changes] == [{"allow_code_node": True}, {"allow_code_node": False}]
    assert {c.actor_id for c in changes} == {admin.user_id}
