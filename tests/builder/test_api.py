"""The editor's JSON API: workspace scoping, roles, drafts with optimistic locking, publishing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from builder.models import App, AppVersion, Workflow
from runtime.nodes import registry
from runtime.nodes.base import Done, Node, NodeConfig, NodeContext, NodeOutput
from runtime.nodes.registry import catalog
from tests.specs import echo_chat_spec

pytestmark = [pytest.mark.django_db, pytest.mark.services]


def _json(client: Any, method: str, path: str, body: Any = None) -> Any:
    return getattr(client, method)(path, body, content_type="application/json")


def test_api_refuses_anonymous_callers(client: Any) -> None:
    assert client.get("/api/apps").status_code == 401


def test_api_creates_app_with_starter_draft(owner: Any, client_for: Any) -> None:
    client = client_for(owner)
    response = _json(client, "post", "/api/apps", {"name": "Support bot", "mode": "chat"})
    assert response.status_code == 201, response.json()
    app = response.json()
    assert (app["slug"], app["mode"], app["published_version"]) == ("support-bot", "chat", None)
    draft = client.get(f"/api/apps/{app['id']}/draft").json()
    assert [n["type"] for n in draft["spec"]["nodes"]] == ["start", "llm", "answer"]
    assert draft["issues"] == []
    assert draft["revision"] == 1


@pytest.mark.parametrize(
    ("path", "body", "errors"),
    [
        ("/api/apps", {"name": 3}, [("name", "Name: enter text")]),
        (
            "/api/apps",
            {"name": "", "mode": "both"},
            [("name", "Name: fill this in"), ("mode", "Mode: choose one of 'chat' or 'workflow'")],
        ),
    ],
)
def test_api_refuses_a_field_that_does_not_fit_in_words(
    owner: Any, client_for: Any, path: str, body: Any, errors: list[tuple[str, str]]
) -> None:
    # ninja answered its schema's refusals in pydantic's words ("Input should be a valid string")
    response = _json(client_for(owner), "post", path, body)
    assert response.status_code == 422, response.content
    refused = response.json()
    assert (refused["code"], refused["field"], refused["message"]) == (
        "invalid_param",
        *errors[0],
    )
    assert [(e["field"], e["message"]) for e in refused["errors"]] == errors


def test_api_draft_revision_must_be_a_whole_number(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    app, _ = make_app(owner, publish=False)
    body = {"spec": echo_chat_spec(), "revision": "latest"}
    response = _json(client_for(owner), "put", f"/api/apps/{app.pk}/draft", body)
    assert (response.status_code, response.json()["message"]) == (
        422,
        "Revision: enter a whole number",
    )


def test_api_refuses_taken_slug(owner: Any, client_for: Any) -> None:
    client = client_for(owner)
    _json(client, "post", "/api/apps", {"name": "Bot", "mode": "chat"})
    response = _json(client, "post", "/api/apps", {"name": "Bot", "mode": "chat"})
    assert (response.status_code, response.json()["field"]) == (409, "slug")


def test_api_hides_other_workspaces_apps(make_member: Any, make_app: Any, client_for: Any) -> None:
    mine, theirs = make_member("owner"), make_member("owner")
    app, _ = make_app(theirs, slug="secret")
    client = client_for(mine)
    assert client.get(f"/api/apps/{app.pk}").status_code == 404
    assert client.get(f"/api/apps/{app.pk}/draft").status_code == 404
    assert client.get("/api/apps").json() == []
    assert client.get(f"/api/apps?workspace_id={theirs.workspace_id}").status_code == 404


def test_api_viewer_cannot_change_anything(
    make_member: Any, make_app: Any, client_for: Any
) -> None:
    owner = make_member("owner")
    app, _ = make_app(owner, slug="shared")
    viewer = make_member("viewer", workspace=owner.workspace)
    client = client_for(viewer)
    assert client.get(f"/api/apps/{app.pk}").status_code == 200
    draft = client.get(f"/api/apps/{app.pk}/draft").json()
    attempts = [
        _json(client, "put", f"/api/apps/{app.pk}/draft", {"spec": draft["spec"], "revision": 1}),
        _json(client, "post", f"/api/apps/{app.pk}/publish", {"note": "x"}),
        _json(client, "post", f"/api/apps/{app.pk}/keys", {"name": "k"}),
        _json(client, "patch", f"/api/apps/{app.pk}", {"name": "renamed"}),
        _json(client, "post", "/api/apps", {"name": "New", "mode": "chat"}),
        client.delete(f"/api/apps/{app.pk}"),
    ]
    assert [r.status_code for r in attempts] == [403] * 6
    assert attempts[0].json()["role"] == "editor"
    assert App.objects.get(pk=app.pk).name == app.name
    assert AppVersion.objects.filter(app=app).count() == 1


def test_api_draft_save_refuses_stale_revision(owner: Any, make_app: Any, client_for: Any) -> None:
    app, _ = make_app(owner, publish=False)
    client = client_for(owner)
    spec = echo_chat_spec()
    first = _json(client, "put", f"/api/apps/{app.pk}/draft", {"spec": spec, "revision": 1})
    assert first.json()["revision"] == 2
    spec["nodes"][1]["config"]["template"] = "changed {{ q }}"
    stale = _json(client, "put", f"/api/apps/{app.pk}/draft", {"spec": spec, "revision": 1})
    assert stale.status_code == 409
    assert stale.json()["current_revision"] == 2
    assert "changed" not in Workflow.objects.get(app=app).spec["nodes"][1]["config"]["template"]


def test_api_draft_saves_incomplete_graph_with_issues(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    app, _ = make_app(owner, publish=False)
    client = client_for(owner)
    spec = echo_chat_spec()
    spec["edges"] = spec["edges"][:1]  # answer is now unreachable
    response = _json(client, "put", f"/api/apps/{app.pk}/draft", {"spec": spec, "revision": 1})
    assert response.status_code == 200
    codes = {(i["code"], i["node_id"]) for i in response.json()["issues"]}
    assert ("unreachable", "answer") in codes
    publish = _json(client, "post", f"/api/apps/{app.pk}/publish", {})
    assert publish.status_code == 422
    assert ("unreachable", "answer") in {
        (i["code"], i["node_id"]) for i in publish.json()["issues"]
    }
    assert not AppVersion.objects.filter(app=app).exists()


def test_api_draft_refuses_malformed_spec_naming_field(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    app, _ = make_app(owner, publish=False)
    client = client_for(owner)
    spec = echo_chat_spec()
    spec["nodes"][0]["id"] = "bad id!"
    response = _json(client, "put", f"/api/apps/{app.pk}/draft", {"spec": spec, "revision": 1})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "nodes.0.id"
    assert Workflow.objects.get(app=app).revision == 1


def test_api_publish_numbers_versions_and_keeps_them_immutable(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    app, _ = make_app(owner)
    client = client_for(owner)
    response = _json(client, "post", f"/api/apps/{app.pk}/publish", {"note": "second"})
    assert response.status_code == 201
    assert response.json()["number"] == 2
    spec = echo_chat_spec()
    spec["nodes"][1]["config"]["template"] = "v3 {{ q }}"
    _json(client, "put", f"/api/apps/{app.pk}/draft", {"spec": spec, "revision": 1})
    v2 = client.get(f"/api/apps/{app.pk}/versions/2").json()
    assert "v3" not in v2["spec"]["nodes"][1]["config"]["template"]
    assert [v["number"] for v in client.get(f"/api/apps/{app.pk}/versions").json()] == [2, 1]


def test_api_node_types_serve_config_schemas(owner: Any, client_for: Any) -> None:
    types = {t["type"]: t for t in client_for(owner).get("/api/node-types").json()}
    assert {"start", "llm", "template", "if_else", "variable_aggregator", "answer", "end"} <= set(
        types
    )
    assert "prompt" in types["llm"]["config_schema"]["properties"]


class _TemplateV2Config(NodeConfig):
    body: str = ""  # v2 renamed v1's `template`: a breaking change, so a new version


class _TemplateV2Node(Node[_TemplateV2Config]):
    """A temporary v2 of the template node."""

    type_title = "Template v2"
    output_types = {"output": "string"}

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Output the body."""
        yield Done({"output": self.config.body})


def test_api_node_types_list_each_version_with_its_own_schema(owner: Any, client_for: Any) -> None:
    with registry.temporary("template", _TemplateV2Node, version=2):
        served = client_for(owner).get("/api/node-types").json()
    versions = {t["version"]: t for t in served if t["type"] == "template"}
    assert set(versions) == {1, 2}
    assert "template" in versions[1]["config_schema"]["properties"]
    assert set(versions[2]["config_schema"]["properties"]) == {"body"}


def test_api_key_is_shown_once_and_revocable(owner: Any, make_app: Any, client_for: Any) -> None:
    app, _ = make_app(owner)
    client = client_for(owner)
    created = _json(client, "post", f"/api/apps/{app.pk}/keys", {"name": "ci"}).json()
    assert created["key"].startswith("app-")
    assert created["key"].startswith(created["prefix"])
    listed = client.get(f"/api/apps/{app.pk}/keys").json()
    assert all("key" not in k for k in listed)
    assert client.delete(f"/api/apps/{app.pk}/keys/{created['id']}").status_code == 204
    revoked = {k["id"]: k for k in client.get(f"/api/apps/{app.pk}/keys").json()}
    assert revoked[created["id"]]["revoked_at"] is not None


def test_api_provider_key_is_encrypted_at_rest(owner: Any, client_for: Any, settings: Any) -> None:
    from builder.models import ModelProvider
    from kernel.crypto import decrypt

    settings.WEFT_OUTBOUND_ALLOW = ["127.0.0.1"]  # the outbound guard refuses loopback otherwise
    client = client_for(owner)
    response = _json(
        client,
        "post",
        "/api/providers",
        {
            "name": "gpu",
            "kind": "vllm",
            "base_url": "http://127.0.0.1:9/v1",
            "api_key": "sk-secret",
            "model_names": ["llama"],
        },
    )
    assert response.status_code == 201
    row = ModelProvider.objects.get(name="gpu")
    assert "sk-secret" not in row.api_key_encrypted
    assert decrypt(row.api_key_encrypted) == "sk-secret"
    names = [p["name"] for p in client.get("/api/providers").json()]
    assert names[0] == "embedded"
    assert "gpu" in names


@pytest.mark.django_db(transaction=True)
def test_api_run_draft_returns_trace(owner: Any, make_app: Any, client_for: Any) -> None:
    app, _ = make_app(owner, publish=False)
    response = _json(client_for(owner), "post", f"/api/apps/{app.pk}/runs", {"query": "yo"})
    body = response.json()
    assert response.status_code == 200, body
    assert (body["status"], body["answer"], body["source"]) == ("succeeded", "echo: yo", "draft")
    assert [n["node_id"] for n in body["node_runs"]] == ["start", "tpl", "answer"]


def test_api_draft_reports_node_shapes_and_globals(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    spec = echo_chat_spec()
    spec["env"] = [{"name": "TONE", "type": "secret", "value": "dry"}]
    app, _ = make_app(owner, spec=spec, publish=False)
    client = client_for(owner)
    draft = client.get(f"/api/apps/{app.pk}/draft").json()
    assert draft["nodes"]["tpl"] == {
        "handles": ["source"],
        "outputs": {"output": "string"},
        "references": [["sys", "query"]],
        "labels": {},
        "inner": {},
    }
    assert draft["nodes"]["answer"]["references"] == [["tpl", "output"]]
    assert draft["globals"]["env"] == {"TONE": "string"}
    assert set(draft["globals"]["sys"]) >= {"query", "conversation_id", "dialogue_count"}
    # a secret is write-only: the API shows that it is set, never its value (audit finding 2)
    assert draft["spec"]["env"] == [{"name": "TONE", "type": "secret", "value": "******"}]
    spec["nodes"].insert(
        1,
        {
            "id": "if",
            "type": "if_else",
            "config": {"cases": [{"case_id": "hi", "conditions": []}]},
            "settings": {"error_strategy": "fail_branch"},
        },
    )
    saved = _json(client, "put", f"/api/apps/{app.pk}/draft", {"spec": spec, "revision": 1})
    assert saved.json()["nodes"]["if"]["handles"] == ["hi", "false", "fail-branch"]
    assert ("unreachable", "if") in {(i["code"], i["node_id"]) for i in saved.json()["issues"]}
    checked = _json(client, "post", f"/api/apps/{app.pk}/validate", {})
    assert checked.json()["nodes"] == saved.json()["nodes"]
    assert checked.json()["globals"] == saved.json()["globals"]


def test_api_validate_reports_a_spec_that_is_not_saved(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    app, _ = make_app(owner, publish=False)
    spec = echo_chat_spec()
    spec["mode"] = "workflow"
    body = _json(client_for(owner), "post", f"/api/apps/{app.pk}/validate", {"spec": spec}).json()
    assert set(body["globals"]["sys"]) == {"user_id", "app_id", "workflow_run_id", "files"}
    assert ("unknown_variable", "tpl") in {(i["code"], i["node_id"]) for i in body["issues"]}


def test_api_node_types_are_typed_in_openapi(owner: Any, client_for: Any) -> None:
    client = client_for(owner)
    doc = client.get("/api/openapi.json").json()
    response = doc["paths"]["/api/node-types"]["get"]["responses"]["200"]["content"]
    assert response["application/json"]["schema"]["items"]["$ref"].endswith("/NodeTypeOut")
    assert {"NodeShapeOut", "GraphReportOut", "VersionDiffOut"} <= set(doc["components"]["schemas"])
    served = client.get("/api/node-types").json()
    llm = next(t for t in served if t["type"] == "llm")
    assert llm["outputs"] == {"text": "string", "usage": "object"}
    assert set(llm) == set(catalog()[0]), "the schema drops no field of the catalog"


def test_api_restore_version_replaces_draft_and_is_audited(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    from kernel.models import AuditLog

    app, _ = make_app(owner)  # version 1 is the echo spec
    client = client_for(owner)
    changed = echo_chat_spec()
    changed["nodes"][1]["config"]["template"] = "changed {{ q }}"
    _json(client, "put", f"/api/apps/{app.pk}/draft", {"spec": changed, "revision": 1})
    stale = _json(client, "post", f"/api/apps/{app.pk}/versions/1/restore", {"revision": 1})
    assert (stale.status_code, stale.json()["code"]) == (409, "draft_conflict")
    response = _json(client, "post", f"/api/apps/{app.pk}/versions/1/restore", {"revision": 2})
    body = response.json()
    assert response.status_code == 200, body
    assert body["revision"] == 3
    assert body["spec"]["nodes"][1]["config"]["template"] == "echo: {{ q }}"
    assert (body["issues"], set(body["nodes"])) == ([], {"start", "tpl", "answer"})
    assert Workflow.objects.get(app=app).revision == 3
    log = AuditLog.objects.filter(action="app.restore").get()
    assert (log.target, log.data, log.actor_id) == (
        app.slug,
        {"version": 1, "revision": 3},
        owner.user_id,
    )
    missing = _json(client, "post", f"/api/apps/{app.pk}/versions/9/restore", {"revision": 3})
    assert missing.status_code == 404


def test_api_restore_needs_editor_role(make_member: Any, make_app: Any, client_for: Any) -> None:
    owner = make_member("owner")
    app, _ = make_app(owner, slug="shared")
    viewer = make_member("viewer", workspace=owner.workspace)
    response = _json(
        client_for(viewer), "post", f"/api/apps/{app.pk}/versions/1/restore", {"revision": 1}
    )
    assert response.status_code == 403


def test_api_diff_version_against_draft_and_version(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    app, _ = make_app(owner)
    client = client_for(owner)
    spec = echo_chat_spec()
    spec["nodes"][1]["config"]["template"] = "v2 {{ q }}"
    spec["nodes"][1]["position"] = {"x": 500, "y": 10}
    spec["nodes"].append({"id": "note", "type": "template", "title": "Note"})
    spec["edges"] += [{"source": "start", "target": "note"}, {"source": "note", "target": "answer"}]
    _json(client, "put", f"/api/apps/{app.pk}/draft", {"spec": spec, "revision": 1})
    diff = client.get(f"/api/apps/{app.pk}/versions/1/diff").json()
    assert (diff["from_version"], diff["to"]) == (1, "draft")
    assert diff["nodes_added"] == [{"id": "note", "type": "template", "title": "Note"}]
    assert diff["nodes_removed"] == []
    assert diff["nodes_changed"] == [
        {
            "id": "tpl",
            "type": "template",
            "title": "",
            "changes": [
                {"path": "config.template", "before": "echo: {{ q }}", "after": "v2 {{ q }}"}
            ],
        }
    ]
    assert diff["edges_added"] == [
        {"source": "start", "source_handle": "source", "target": "note", "target_handle": "target"},
        {
            "source": "note",
            "source_handle": "source",
            "target": "answer",
            "target_handle": "target",
        },
    ]
    _json(client, "post", f"/api/apps/{app.pk}/publish", {})
    back = client.get(f"/api/apps/{app.pk}/versions/2/diff?against=1").json()
    assert (back["to"], back["nodes_removed"][0]["id"]) == ("1", "note")
    assert [e["target"] for e in back["edges_removed"]] == ["note", "answer"]
    bad = client.get(f"/api/apps/{app.pk}/versions/1/diff?against=latest")
    assert (bad.status_code, bad.json()["field"]) == (422, "against")
    assert client.get(f"/api/apps/{app.pk}/versions/1/diff?against=7").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_api_run_draft_renders_env_vars(owner: Any, make_app: Any, client_for: Any) -> None:
    spec = echo_chat_spec()
    spec["env"] = [{"name": "SIGN", "type": "string", "value": "-- Weft"}]
    spec["nodes"][2]["config"]["answer"] = "{{#tpl.output#}} {{#env.SIGN#}}"
    app, _ = make_app(owner, spec=spec, publish=False)
    body = _json(client_for(owner), "post", f"/api/apps/{app.pk}/runs", {"query": "yo"}).json()
    assert body["answer"] == "echo: yo -- Weft"
