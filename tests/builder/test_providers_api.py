"""/api/providers: changing, deleting and checking a workspace's model servers.

Checks go to the scripted vLLM-style server (tests/llm/scripted_server.py) on 127.0.0.1, which
the outbound guard lets through only when WEFT_OUTBOUND_ALLOW lists it, as in production.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from builder import provider_checks
from builder.models import ModelProvider
from kernel.crypto import decrypt
from kernel.model_sources import get_workspace_models
from tests.llm._http import free_port_url, serve
from tests.llm.scripted_server import ScriptedServer

KEY = "sk-right-key"


@pytest.fixture
def local(settings: Any) -> None:
    """The guard lets requests reach 127.0.0.1, where the test servers listen."""
    settings.WEFT_OUTBOUND_ALLOW = ["127.0.0.1"]


@pytest.fixture
def server() -> Iterator[str]:
    """The scripted server, which wants the bearer token KEY; its base URL (with /v1)."""
    with serve(ScriptedServer(api_key=KEY)) as url:
        yield url


def _send(client: Any, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, f"/api{path}", data, content_type="application/json")


def _add(owner: Any, name: str, url: str, key: str = "", models: Any = ()) -> ModelProvider:
    row = ModelProvider(workspace=owner.workspace, name=name, kind="vllm", base_url=url)
    if key:
        from kernel.crypto import encrypt

        row.api_key_encrypted = encrypt(key)
    row.model_names = list(models)
    row.save()
    return row


def test_provider_patch_changes_url_models_and_key_and_never_shows_the_key(
    owner: Any, client_for: Any, local: None
) -> None:
    client = client_for(owner)
    body = {"name": "gpu", "kind": "vllm", "base_url": "http://127.0.0.1:9/v1", "api_key": "old"}
    assert _send(client, "POST", "/providers", body).status_code == 201
    change = {"base_url": "http://127.0.0.1:10/v1", "api_key": "sk-new", "model_names": ["a", "a"]}
    response = _send(client, "PATCH", "/providers/gpu", change)
    assert response.status_code == 200, response.content
    assert response.json()["model_names"] == ["a"]
    row = ModelProvider.objects.get(name="gpu")
    assert (row.base_url, decrypt(row.api_key_encrypted)) == ("http://127.0.0.1:10/v1", "sk-new")
    listed = client.get("/api/providers").content.decode()
    assert "sk-new" not in listed
    gpu = next(p for p in json.loads(listed) if p["name"] == "gpu")
    assert (gpu["api_key_set"], gpu["builtin"], gpu["kind"]) == (True, False, "vllm")
    assert _send(client, "PATCH", "/providers/gpu", {"model_names": ["b"]}).status_code == 200
    assert decrypt(ModelProvider.objects.get(name="gpu").api_key_encrypted) == "sk-new"  # kept
    assert _send(client, "PATCH", "/providers/gpu", {"api_key": ""}).json()["api_key_set"] is False


@pytest.mark.django_db(transaction=True)  # the cached resolver reads on a thread of its own
def test_provider_change_reaches_the_workspace_models_at_once(
    owner: Any, client_for: Any, local: None
) -> None:
    _add(owner, "gpu", "http://127.0.0.1:9/v1", models=["a"])

    def models_of_gpu() -> list[str]:
        listed = async_to_sync(get_workspace_models)(owner.workspace_id).list_providers()
        return next(list(p.models) for p in listed if p.name == "gpu")

    assert models_of_gpu() == ["a"]  # now cached
    _send(client_for(owner), "PATCH", "/providers/gpu", {"model_names": ["b"]})
    assert models_of_gpu() == ["b"]
    _send(client_for(owner), "DELETE", "/providers/gpu")
    names = [
        p.name for p in async_to_sync(get_workspace_models)(owner.workspace_id).list_providers()
    ]
    assert "gpu" not in names


def test_provider_list_marks_builtin_models_read_only(owner: Any, client_for: Any) -> None:
    listed = client_for(owner).get("/api/providers").json()
    embedded = next(p for p in listed if p["name"] == "embedded")
    assert (embedded["builtin"], embedded["base_url"], embedded["api_key_set"]) == (
        True,
        None,
        False,
    )


def test_provider_bad_changes_name_the_field(owner: Any, client_for: Any, local: None) -> None:
    taken = "http://127.0.0.1:9/v1"
    _add(owner, "gpu", taken)
    client = client_for(owner)
    cases = [
        ("PATCH", "/providers/gpu", {"base_url": "ftp://host/v1"}, 422, "base_url"),
        ("PATCH", "/providers/gpu", {"model_names": ["ok", "  "]}, 422, "model_names"),
        ("PATCH", "/providers/gpu", {"kind": "ollama"}, 422, "kind"),
        ("POST", "/providers/check", {"kind": "vllm"}, 422, "base_url"),
        ("POST", "/providers", {"name": "gpu", "kind": "vllm", "base_url": taken}, 409, "name"),
        ("POST", "/providers", {"name": "check", "kind": "vllm", "base_url": taken}, 422, "name"),
    ]
    for method, path, body, status, field in cases:
        response = _send(client, method, path, body)
        assert response.status_code == status, (path, body, response.content)
        assert field in response.content.decode(), (body, response.content)
    assert _send(client, "PATCH", "/providers/nope", {"model_names": []}).status_code == 404


def test_provider_may_not_take_a_builtin_providers_name(
    owner: Any, client_for: Any, settings: Any, local: None
) -> None:
    client = client_for(owner)
    url = "http://127.0.0.1:9/v1"
    settings.VLLM_BASE_URL = url  # the vLLM server every workspace has
    for name in ("embedded", "vllm"):
        body = {"name": name, "kind": "vllm", "base_url": url}
        response = _send(client, "POST", "/providers", body)
        assert response.status_code == 422, (name, response.content)
        error = response.json()
        assert (error["field"], error["message"]) == (
            "name",
            f"name: {name!r} is a built-in model provider's name",
        )
    settings.VLLM_BASE_URL = ""  # without one, the name is free
    body = {"name": "vllm", "kind": "vllm", "base_url": url}
    response = _send(client, "POST", "/providers", body)
    assert response.status_code == 201, response.content
    names = [p["name"] for p in client.get("/api/providers").json()]
    assert names == ["embedded", "vllm"]


def test_provider_changes_need_an_admin_and_checks_an_editor(
    owner: Any, make_member: Any, client_for: Any, local: None, server: str
) -> None:
    _add(owner, "gpu", server, key=KEY)
    editor = make_member("editor", workspace=owner.workspace)
    viewer = make_member("viewer", workspace=owner.workspace)
    outsider = make_member("owner")
    refused = [
        (editor, "PATCH", "/providers/gpu", {"model_names": ["x"]}, 403),
        (editor, "DELETE", "/providers/gpu", None, 403),
        (editor, "POST", "/providers/check", {"base_url": server}, 403),
        (editor, "POST", "/providers/gpu/check", {"base_url": "http://127.0.0.1:9/v1"}, 403),
        (viewer, "POST", "/providers/gpu/check", {}, 403),
        (viewer, "PATCH", "/providers/gpu", {"model_names": ["x"]}, 403),
        (outsider, "PATCH", "/providers/gpu", {"model_names": ["x"]}, 404),
        (outsider, "DELETE", "/providers/gpu", None, 404),
        (outsider, "POST", "/providers/gpu/check", {}, 404),
    ]
    for member, method, path, body, status in refused:
        response = _send(client_for(member), method, path, body)
        assert response.status_code == status, (member.role, method, path, response.content)
    assert ModelProvider.objects.get(name="gpu").model_names == []
    checked = _send(client_for(editor), "POST", "/providers/gpu/check", {}).json()
    assert checked == {"status": "ok", "error": "", "models": ["scripted"]}
    assert client_for(viewer).get("/api/providers").status_code == 200


def test_provider_check_lists_the_models_of_unsaved_settings(
    owner: Any, client_for: Any, local: None, server: str
) -> None:
    body = {"kind": "vllm", "base_url": server, "api_key": KEY}
    checked = _send(client_for(owner), "POST", "/providers/check", body).json()
    assert checked == {"status": "ok", "error": "", "models": ["scripted"]}


def test_provider_check_says_the_key_was_refused(
    owner: Any, client_for: Any, local: None, server: str
) -> None:
    _add(owner, "gpu", server, key="sk-wrong")
    client = client_for(owner)
    checked = _send(client, "POST", "/providers/gpu/check", {}).json()
    assert checked["status"] == "error"
    assert checked["error"].startswith("key refused: model server answered 401: Unauthorized")
    assert "sk-wrong" not in checked["error"]
    retyped = _send(client, "POST", "/providers/gpu/check", {"api_key": KEY}).json()
    assert retyped["models"] == ["scripted"]  # the right key, before it is saved
    keyless = _send(client, "POST", "/providers/check", {"base_url": server}).json()
    assert "this server wants an API key" in keyless["error"]


def test_provider_check_says_the_connection_was_refused(
    owner: Any, client_for: Any, local: None
) -> None:
    dead = free_port_url()
    _add(owner, "gpu", dead)
    checked = _send(client_for(owner), "POST", "/providers/gpu/check", {}).json()
    assert checked == {
        "status": "error",
        "error": f"connection refused: nothing listens at {dead}",
        "models": [],
    }


def test_provider_check_says_it_timed_out(
    owner: Any, client_for: Any, local: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(provider_checks, "CHECK_TIMEOUT_S", 0.2)
    loop = asyncio.new_event_loop()
    silent = loop.run_until_complete(asyncio.start_server(lambda r, w: None, "127.0.0.1", 0))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{silent.sockets[0].getsockname()[1]}/v1"
        _add(owner, "gpu", url)
        checked = _send(client_for(owner), "POST", "/providers/gpu/check", {}).json()
    finally:
        loop.call_soon_threadsafe(silent.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
    assert checked["error"] == f"timed out after 0.2 s: {url} did not answer"


def test_provider_check_says_the_outbound_guard_refused(
    owner: Any, client_for: Any, settings: Any, server: str
) -> None:
    settings.WEFT_OUTBOUND_ALLOW = []
    _add(owner, "gpu", server, key=KEY)  # saved while an instance admin allowed 127.0.0.1
    checked = _send(client_for(owner), "POST", "/providers/gpu/check", {}).json()
    assert checked["status"] == "error"
    assert checked["error"].startswith("refused by the outbound guard: refused to connect to")


def _llm_app_spec(provider: str) -> dict[str, Any]:
    model = {"provider": provider, "name": "m"}
    return {
        "mode": "chat",
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "llm", "type": "llm", "config": {"model": model, "prompt": "{{#sys.query#}}"}},
            {"id": "answer", "type": "answer", "config": {"answer": "{{#llm.text#}}"}},
        ],
        "edges": [{"source": "start", "target": "llm"}, {"source": "llm", "target": "answer"}],
    }


def test_provider_delete_names_the_published_apps_that_use_it(
    owner: Any, client_for: Any, make_app: Any, local: None
) -> None:
    _add(owner, "gpu", "http://127.0.0.1:9/v1")
    _add(owner, "spare", "http://127.0.0.1:9/v1")
    app, _ = make_app(owner, spec=_llm_app_spec("gpu"), slug="uses-gpu")
    make_app(owner, spec=_llm_app_spec("gpu"), slug="draft-only", publish=False)
    client = client_for(owner)
    deleted = _send(client, "DELETE", "/providers/gpu")
    assert deleted.status_code == 200, deleted.content
    body = deleted.json()
    assert body["used_by"] == [{"id": app.pk, "name": app.name, "slug": "uses-gpu"}]
    assert "fail at its nodes" in body["warning"]
    assert app.name in body["warning"]
    assert _send(client, "DELETE", "/providers/spare").json() == {
        "name": "spare",
        "used_by": [],
        "warning": "",
    }
    assert not ModelProvider.objects.filter(workspace=owner.workspace).exists()
