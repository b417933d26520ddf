"""The DSL endpoints: export a draft, import a file as an app or as an app's draft, with the
roles of the other app endpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from builder.models import App, Workflow
from kernel.models import AuditLog
from runtime.spec import WorkflowSpec
from tests.builder.dsl_specs import normalized, workflow_spec

pytestmark = [pytest.mark.django_db, pytest.mark.services]

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dsl"


def _file(text: str | bytes, name: str = "app.yml") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="application/x-yaml")


def _import(client: Any, text: str | bytes, **form: Any) -> Any:
    query = f"?workspace_id={form.pop('workspace_id')}" if "workspace_id" in form else ""
    return client.post(f"/api/apps/import-dsl{query}", {"file": _file(text), **form})


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_dsl_api_imports_a_file_as_a_new_app_and_opens_its_draft(
    owner: Any, client_for: Any
) -> None:
    client = client_for(owner)
    response = _import(client, _fixture("chat_knowledge.yml"))
    assert response.status_code == 201, response.json()
    body = response.json()
    app = body["app"]
    assert (app["name"], app["slug"], app["mode"]) == ("Handbook helper", "handbook-helper", "chat")
    assert app["description"] == "Answers from the handbook"
    assert any(w["code"] == "dsl_dependencies" for w in body["warnings"])
    draft = client.get(f"/api/apps/{app['id']}/draft").json()
    assert [n["type"] for n in draft["spec"]["nodes"]] == [
        "start",
        "knowledge_retrieval",
        "llm",
        "answer",
    ]
    again = _import(client, _fixture("chat_knowledge.yml"), name="Helper two").json()
    assert (again["app"]["name"], again["app"]["slug"]) == ("Helper two", "helper-two")
    third = _import(client, _fixture("chat_knowledge.yml")).json()
    assert third["app"]["slug"] == "handbook-helper-2"
    assert AuditLog.objects.filter(action="app.import_dsl").count() == 3


def test_dsl_api_asks_before_importing_another_major_version(owner: Any, client_for: Any) -> None:
    client = client_for(owner)
    text = _fixture("chat_knowledge.yml").replace("version: 0.6.0", "version: 1.2.0")
    asked = _import(client, text)
    assert asked.status_code == 409
    assert (asked.json()["code"], asked.json()["imported_version"]) == ("dsl_confirm", "1.2.0")
    assert not App.objects.exists()
    done = _import(client, text, confirm="true")
    assert done.status_code == 201
    assert done.json()["warnings"][0]["code"] == "dsl_version"


def test_dsl_api_refusals_say_what_is_wrong(owner: Any, client_for: Any) -> None:
    client = client_for(owner)
    bad = _import(client, "app:\n  name: [x\n")
    assert bad.status_code == 422
    assert (bad.json()["code"], bad.json()["line"]) == ("dsl_invalid_yaml", 3)
    big = _import(client, b"#" * (10 * 1024 * 1024 + 1))
    assert (big.status_code, big.json()["code"]) == (413, "dsl_too_large")
    unknown = yaml.safe_load(_fixture("workflow_branches.yml"))
    unknown["workflow"]["graph"]["nodes"][2]["data"]["type"] = "document-extractor"
    refused = _import(client, yaml.safe_dump(unknown))
    assert (refused.status_code, refused.json()["code"]) == (422, "dsl_unsupported_node")
    assert refused.json()["nodes"] == [
        {"id": "split", "title": "Split", "type": "document-extractor"}
    ]
    assert not App.objects.exists()


def test_dsl_api_import_needs_the_editor_role(make_member: Any, client_for: Any) -> None:
    viewer = make_member("viewer")
    response = _import(client_for(viewer), _fixture("chat_knowledge.yml"))
    assert response.status_code == 403
    outsider = make_member("owner")
    other = _import(
        client_for(outsider), _fixture("chat_knowledge.yml"), workspace_id=viewer.workspace_id
    )
    assert other.status_code in (403, 404)
    assert not App.objects.exists()


def test_dsl_api_exports_the_draft_as_a_yaml_download(
    owner: Any, make_member: Any, make_app: Any, client_for: Any
) -> None:
    app, _ = make_app(owner, spec=workflow_spec(), slug="digest", publish=False)
    App.objects.filter(pk=app.pk).update(name="Digest é")
    viewer = make_member("viewer", owner.workspace)
    response = client_for(viewer).get(f"/api/apps/{app.pk}/dsl")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-yaml")
    assert response["Content-Disposition"] == ("attachment; filename*=utf-8''Digest%20%C3%A9.yml")
    doc = yaml.safe_load(response.content)
    assert (doc["app"]["name"], doc["version"]) == ("Digest é", "0.6.0")
    env = {v["name"]: v["value"] for v in doc["workflow"]["environment_variables"]}
    assert env == {"WORD": "long", "TOKEN": ""}
    assert b"t0ken" not in response.content


def test_dsl_api_exports_secrets_only_to_admins_and_audits_it(
    owner: Any, make_member: Any, make_app: Any, client_for: Any
) -> None:
    app, _ = make_app(owner, spec=workflow_spec(), slug="digest", publish=False)
    editor = make_member("editor", owner.workspace)
    path = f"/api/apps/{app.pk}/dsl?include_secrets=true"
    assert client_for(editor).get(path).status_code == 403
    response = client_for(owner).get(path)
    doc = yaml.safe_load(response.content)
    env = {v["name"]: v["value"] for v in doc["workflow"]["environment_variables"]}
    assert env["TOKEN"] == "t0ken"  # decrypted: drafts store it encrypted
    assert AuditLog.objects.filter(action="app.export_secrets", target="digest").count() == 1
    outsider = make_member("owner")
    assert client_for(outsider).get(f"/api/apps/{app.pk}/dsl").status_code == 404


def test_dsl_api_updates_a_draft_from_a_file_keeping_its_secrets(
    owner: Any, make_member: Any, make_app: Any, client_for: Any
) -> None:
    app, _ = make_app(owner, spec=workflow_spec(), slug="digest", publish=False)
    client = client_for(owner)
    exported = client.get(f"/api/apps/{app.pk}/dsl").content.decode()
    changed = exported.replace("title: The code", "title: Counted")
    response = client.post(f"/api/apps/{app.pk}/dsl", {"file": _file(changed), "revision": 1})
    assert response.status_code == 200, response.json()
    assert response.json()["revision"] == 2
    spec = Workflow.objects.get(app=app).spec
    assert next(n for n in spec["nodes"] if n["id"] == "code")["title"] == "Counted"
    # the export left the secret empty: the update kept the stored one
    token = client.get(f"/api/apps/{app.pk}/dsl?include_secrets=true").content
    assert b"t0ken" in token
    stale = client.post(f"/api/apps/{app.pk}/dsl", {"file": _file(changed), "revision": 1})
    assert (stale.status_code, stale.json()["code"]) == (409, "draft_conflict")
    chat = client.post(f"/api/apps/{app.pk}/dsl", {"file": _file(_fixture("chat_knowledge.yml"))})
    assert (chat.status_code, chat.json()["field"]) == (422, "mode")
    editor = make_member("viewer", owner.workspace)
    denied = client_for(editor).post(f"/api/apps/{app.pk}/dsl", {"file": _file(changed)})
    assert denied.status_code == 403
    assert Workflow.objects.get(app=app).revision == 2


def test_dsl_api_export_then_import_gives_the_same_nodes(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    app, _ = make_app(owner, spec=workflow_spec(), slug="digest", publish=False)
    client = client_for(owner)
    exported = client.get(f"/api/apps/{app.pk}/dsl").content
    copy = _import(client, exported).json()["app"]
    first = client.get(f"/api/apps/{app.pk}/draft").json()
    second = client.get(f"/api/apps/{copy['id']}/draft").json()
    old, new = (normalized(WorkflowSpec.model_validate(d["spec"])) for d in (first, second))
    assert (new["nodes"], new["edges"]) == (old["nodes"], old["edges"])
    assert second["issues"] == first["issues"]
    # a secret exported without its value comes in empty (the original's is masked as set)
    assert [(v["name"], v["value"]) for v in new["env"]] == [("WORD", "long"), ("TOKEN", "")]
