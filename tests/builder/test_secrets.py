"""Secret env variables (audit finding 2): stored encrypted, write-only in the API, masked in
every run's events, trace and logs, and left out of published streams; runs use the value."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from django.apps import apps
from django.db import connection

from builder import runlog
from builder._scrub_traces import do_mask_old_traces
from builder.models import AppVersion, Message, NodeRun, Run, Workflow
from builder.secrets import do_encrypt_plain_secrets
from runtime.masking import MASK
from tests.builder.sse import parse_sse
from tests.fakes import FakeChatClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

SECRET = "sk-live-4242"


def secret_spec(value: str = SECRET) -> dict[str, Any]:
    """Start → LLM (its prompt reads env.TOKEN, a secret) → Answer showing what the model said."""
    return {
        "mode": "chat",
        "nodes": [
            {"id": "start", "type": "start"},
            {
                "id": "llm",
                "type": "llm",
                "config": {
                    "model": {"provider": "fake", "name": "m"},
                    "prompt": "key={{#env.TOKEN#}} q={{#sys.query#}}",
                },
            },
            {"id": "answer", "type": "answer", "config": {"answer": "{{#llm.text#}}"}},
        ],
        "edges": [{"source": "start", "target": "llm"}, {"source": "llm", "target": "answer"}],
        "env": [
            {"name": "TOKEN", "type": "secret", "value": value},
            {"name": "REGION", "type": "string", "value": "eu"},
        ],
    }


def _json(client: Any, method: str, path: str, body: Any = None) -> Any:
    return getattr(client, method)(path, body, content_type="application/json")


def _run_draft(client: Any, app: Any, model: FakeChatClient, query: str = "hi") -> Any:
    model.script.append(["echo: ", SECRET[:5], SECRET[5:]])  # the model repeats the secret
    response = _json(client, "post", f"/api/apps/{app.pk}/runs", {"query": query})
    assert response.status_code == 200, response.json()
    return response.json()


def _prompt(model: FakeChatClient) -> str:
    return model.requests[-1].messages[-1].content


def test_secret_is_stored_encrypted(owner: Any, make_app: Any) -> None:
    make_app(owner, spec=secret_spec())  # a draft and a published version
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT spec FROM {Workflow._meta.db_table}")  # noqa: S608  # no input
        drafts = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT spec FROM {AppVersion._meta.db_table}")  # noqa: S608  # no input
        versions = [row[0] for row in cursor.fetchall()]
    assert len(drafts) == len(versions) == 1
    for stored in drafts + versions:
        text = stored if isinstance(stored, str) else json.dumps(stored)
        assert SECRET not in text
        assert '"enc:' in text


def test_secret_is_masked_for_members_but_used_by_runs(
    owner: Any, make_member: Any, make_app: Any, client_for: Any, model: FakeChatClient
) -> None:
    app, _ = make_app(owner, spec=secret_spec())
    run = _run_draft(client_for(owner), app, model)
    assert _prompt(model) == f"key={SECRET} q=hi"  # the real value reached the model
    assert run["answer"] == f"echo: {MASK}"
    viewer = client_for(make_member("viewer", workspace=owner.workspace))
    draft = viewer.get(f"/api/apps/{app.pk}/draft").json()
    assert draft["spec"]["env"][0] == {"name": "TOKEN", "type": "secret", "value": MASK}
    for path in (
        f"/api/apps/{app.pk}/draft",
        f"/api/apps/{app.pk}/versions/1",
        f"/api/apps/{app.pk}/runs",
        f"/runs/{run['id']}",
        f"/api/runs/{run['id']}",
    ):
        response = viewer.get(path)
        assert SECRET not in response.content.decode(), path
    assert not any(SECRET in json.dumps([n.inputs, n.outputs]) for n in NodeRun.objects.all())


def test_secret_save_keeps_it_unless_replaced(
    owner: Any, make_app: Any, client_for: Any, model: FakeChatClient
) -> None:
    app, _ = make_app(owner, spec=secret_spec(), publish=False)
    client = client_for(owner)
    path = f"/api/apps/{app.pk}/draft"
    spec = client.get(path).json()["spec"]
    assert _json(client, "put", path, {"spec": spec, "revision": 1}).status_code == 200
    _run_draft(client, app, model)
    assert _prompt(model) == f"key={SECRET} q=hi"  # sending the mask back kept the secret
    del spec["env"][0]["value"]
    assert _json(client, "put", path, {"spec": spec, "revision": 2}).status_code == 200
    _run_draft(client, app, model)
    assert _prompt(model) == f"key={SECRET} q=hi"  # so did leaving the value out
    spec["env"][0]["value"] = "sk-new-1"
    assert _json(client, "put", path, {"spec": spec, "revision": 3}).status_code == 200
    _run_draft(client, app, model)
    assert _prompt(model) == "key=sk-new-1 q=hi"


def test_secret_plain_in_an_old_draft_is_read_then_encrypted_on_save(
    owner: Any, make_app: Any, client_for: Any, model: FakeChatClient
) -> None:
    app, _ = make_app(owner, spec=secret_spec(), publish=False)
    Workflow.objects.filter(app=app).update(spec=secret_spec())  # as saved before encryption
    client = client_for(owner)
    _run_draft(client, app, model)
    assert _prompt(model) == f"key={SECRET} q=hi"
    spec = client.get(f"/api/apps/{app.pk}/draft").json()["spec"]
    _json(client, "put", f"/api/apps/{app.pk}/draft", {"spec": spec, "revision": 1})
    stored = Workflow.objects.get(app=app).spec["env"][0]["value"]
    assert stored.startswith("enc:")
    assert SECRET not in stored


def test_secret_stays_out_of_the_public_stream(
    owner: Any, make_app: Any, live_url: str, model: FakeChatClient
) -> None:
    _, key = make_app(owner, spec=secret_spec())
    model.script.append(["echo: ", SECRET[:5], SECRET[5:]])
    response = httpx.post(
        f"{live_url}/v1/chat-messages",
        json={"query": "hi", "inputs": {}, "user": "u1", "response_mode": "streaming"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )
    assert response.status_code == 200
    assert _prompt(model) == f"key={SECRET} q=hi"
    assert SECRET not in response.text
    events = parse_sse(response.content)
    llm = [e["data"] for e in events if e["event"].startswith("node_") and e["data"]["node_id"]]
    assert [d["inputs"] for d in llm if d["node_id"] == "llm"] == [{}, {}]
    assert "".join(e["answer"] for e in events if e["event"] == "message") == f"echo: {MASK}"


def test_secret_failed_trace_write_logs_ids_not_values(
    owner: Any,
    make_app: Any,
    client_for: Any,
    model: FakeChatClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, _ = make_app(owner, spec=secret_spec(), publish=False)
    write = runlog.insert_rows

    def broken(model_class: Any, rows: list[dict[str, Any]]) -> None:
        if model_class is NodeRun and rows:
            raise RuntimeError("disk full")
        write(model_class, rows)

    monkeypatch.setattr(runlog, "insert_rows", broken)
    caplog.set_level(logging.INFO)
    model.script.append(["echo: ", SECRET])
    client = client_for(owner)
    client.raise_request_exception = False  # with no trace saved, the run's own reply fails
    _json(client, "post", f"/api/apps/{app.pk}/runs", {"query": "my private question"})
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "disk full" in logged
    assert f"app {app.pk}" in logged
    assert SECRET not in logged
    assert "my private question" not in logged


def test_secret_plain_in_old_rows_is_encrypted_by_the_migration(
    owner: Any, make_app: Any, client_for: Any, model: FakeChatClient
) -> None:
    app, _ = make_app(owner, spec=secret_spec())
    Workflow.objects.filter(app=app).update(spec=secret_spec())  # as stored before encryption
    AppVersion.objects.filter(app=app).update(spec=secret_spec())
    assert do_encrypt_plain_secrets(Workflow, AppVersion) == 2
    assert do_encrypt_plain_secrets(Workflow, AppVersion) == 0  # encrypted values stay as they are
    for stored in (Workflow.objects.get(app=app).spec, AppVersion.objects.get(app=app).spec):
        assert stored["env"][0]["value"].startswith("enc:")
        assert stored["env"][1] == {"name": "REGION", "type": "string", "value": "eu"}
    _run_draft(client_for(owner), app, model)
    assert _prompt(model) == f"key={SECRET} q=hi"


def test_secret_of_a_restored_version_is_the_one_it_froze(
    owner: Any, make_app: Any, client_for: Any, model: FakeChatClient
) -> None:
    app, _ = make_app(owner, spec=secret_spec())  # version 1 freezes SECRET
    client = client_for(owner)
    spec = client.get(f"/api/apps/{app.pk}/draft").json()["spec"]
    spec["env"][0]["value"] = "sk-new-1"
    _json(client, "put", f"/api/apps/{app.pk}/draft", {"spec": spec, "revision": 1})
    restored = _json(client, "post", f"/api/apps/{app.pk}/versions/1/restore", {"revision": 2})
    assert restored.json()["spec"]["env"][0]["value"] == MASK
    _run_draft(client, app, model)
    assert _prompt(model) == f"key={SECRET} q=hi"


def test_secret_under_another_key_is_refused_naming_the_field(
    owner: Any, make_app: Any, client_for: Any, settings: Any
) -> None:
    app, _ = make_app(owner, spec=secret_spec(), publish=False)
    settings.WEFT_ENCRYPTION_KEY = "a key that did not encrypt it"
    response = _json(client_for(owner), "post", f"/api/apps/{app.pk}/runs", {"query": "hi"})
    body = response.json()
    assert (response.status_code, body["code"], body["field"]) == (422, "secret_unreadable", "env")


def test_secret_in_traces_stored_before_masking_is_masked_by_the_migration(
    owner: Any, make_app: Any, client_for: Any, model: FakeChatClient
) -> None:
    app, _ = make_app(owner, spec=secret_spec())
    other, _ = make_app(owner, slug="other")
    mine = _run_draft(client_for(owner), app, model)  # then made to look as it was stored before
    theirs = _json(client_for(owner), "post", f"/api/apps/{other.pk}/runs", {"query": SECRET})
    Run.objects.filter(pk=mine["id"]).update(answer=f"echo: {SECRET}", outputs={"a": SECRET})
    NodeRun.objects.filter(run_id=mine["id"], node_id="llm").update(
        inputs={"env.TOKEN": SECRET}, outputs={"text": f"echo: {SECRET}"}
    )
    Message.objects.filter(run_id=mine["id"]).update(answer=f"echo: {SECRET}")
    names = ("Workflow", "AppVersion", "Run", "NodeRun", "Message")
    models = {name: apps.get_model("builder", name) for name in names}
    assert do_mask_old_traces(models) == 3
    run = Run.objects.get(pk=mine["id"])
    assert (run.answer, run.outputs) == (f"echo: {MASK}", {"a": MASK})
    node = NodeRun.objects.get(run_id=mine["id"], node_id="llm")
    assert (node.inputs, node.outputs) == ({"env.TOKEN": MASK}, {"text": f"echo: {MASK}"})
    assert Message.objects.get(run_id=mine["id"]).answer == f"echo: {MASK}"
    assert Run.objects.get(pk=theirs.json()["id"]).answer == f"echo: {SECRET}"  # not its secret


def test_secret_mask_with_no_stored_value_is_refused_naming_the_field(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    app, _ = make_app(owner, spec=secret_spec(), publish=False)
    client = client_for(owner)
    spec = client.get(f"/api/apps/{app.pk}/draft").json()["spec"]
    spec["env"][0]["name"] = "RENAMED"  # the mask it still holds stands for no stored value
    response = _json(client, "put", f"/api/apps/{app.pk}/draft", {"spec": spec, "revision": 1})
    body = response.json()
    assert (response.status_code, body["code"], body["field"]) == (
        422,
        "secret_not_stored",
        "env.0.value",
    )
    assert Workflow.objects.get(app=app).revision == 1
