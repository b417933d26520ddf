"""The published-app layer: which version serves, schema-checked /v1 bodies refused in Dify's
shape, and the first calls a Dify client makes (/v1/info, /v1/parameters,
/v1/completion-messages), over real HTTP with plain httpx as a Dify client sends them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from builder.actions.workflows import do_publish_workflow
from builder.models import Run, Workflow
from builder.published import get_published, serving_versions
from kernel.errors import ApiError
from tests.specs import echo_workflow_spec

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


@pytest.fixture
def v1(live_url: str) -> httpx.Client:
    return httpx.Client(base_url=live_url, timeout=120)


@pytest.fixture
def flow(owner: Any, make_app: Any) -> tuple[Any, str]:
    app, key = make_app(owner, mode="workflow", slug="greeter")
    return app, str(key)


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _post(v1: httpx.Client, path: str, key: str, body: Any) -> httpx.Response:
    raw = json.dumps(body).encode()
    return v1.post(path, content=raw, headers={**_auth(key), "Content-Type": "application/json"})


def _publish_greeting(app: Any, owner: Any, greeting: str) -> None:
    spec = echo_workflow_spec()
    for node in spec["nodes"]:
        if node["type"] == "template":
            node["config"]["template"] = greeting + ", {{ n }}!"
    Workflow.objects.filter(app=app).update(spec=spec)
    do_publish_workflow(app, owner.user)


def test_serving_version_is_the_newest_unless_pinned(owner: Any, flow: tuple[Any, str]) -> None:
    app, _ = flow
    _publish_greeting(app, owner, "Bye")
    assert list(serving_versions(app.pk).values_list("number", flat=True)) == [2, 1]
    assert get_published(app.pk).version.number == 2
    assert get_published(app.pk, 1).version.number == 1
    with pytest.raises(ApiError) as missing:
        get_published(app.pk, 7)
    assert (missing.value.status, missing.value.code) == (404, "version_not_found")
    assert missing.value.data["field"] == "version"


def test_v1_runs_the_version_published_last(
    owner: Any, flow: tuple[Any, str], v1: httpx.Client
) -> None:
    app, key = flow
    body = {"inputs": {"name": "Ada"}, "response_mode": "blocking", "user": "u"}
    first = _post(v1, "/v1/workflows/run", key, body).json()
    _publish_greeting(app, owner, "Bye")  # a publish in this process is served at once
    second = _post(v1, "/v1/workflows/run", key, body).json()
    assert [first["data"]["outputs"], second["data"]["outputs"]] == [
        {"greeting": "Hello, Ada!"},
        {"greeting": "Bye, Ada!"},
    ]


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        ("/v1/workflows/run", {"inputs": [1]}, "inputs", "inputs must be a JSON object"),
        ("/v1/workflows/run", {"user": [1]}, "user", "user must be text or a whole number"),
        (
            "/v1/workflows/run",
            {"response_mode": "later"},
            "response_mode",
            "response_mode: use 'streaming' or 'blocking'",
        ),
        (
            "/v1/chat-messages",
            {"query": "x", "conversation_id": 3},
            "conversation_id",
            "conversation_id must be text",
        ),
        ("/v1/chat-messages", {"inputs": {}}, "query", "query is required"),
        ("/v1/chat-messages", {"query": 5}, "query", "query must be text"),
        ("/v1/completion-messages", {"inputs": "x"}, "inputs", "inputs must be a JSON object"),
        (
            "/v1/workflows/tasks/abc/stop",
            {"user": {}},
            "user",
            "user must be text or a whole number",
        ),
        (
            "/v1/chat/completions",
            {"model": "x", "messages": []},
            "messages",
            "messages must not be empty",
        ),
        (
            "/v1/chat/completions",
            {"model": "x", "messages": [{"role": "user"}]},
            "messages[0].content",
            "messages[0].content is required",
        ),
        (
            "/v1/chat/completions",
            {"model": "x", "messages": [{"role": "tool", "content": "a"}]},
            "messages[0].role",
            "messages[0].role: use one of 'system', 'user' or 'assistant'",
        ),
        (
            "/v1/chat/completions",
            {"model": "x", "messages": [{"role": "user", "content": "a"}], "stream": "later"},
            "stream",
            "stream must be true or false",
        ),
    ],
)
def test_v1_bodies_are_refused_in_difys_shape_naming_the_field(
    flow: tuple[Any, str],
    v1: httpx.Client,
    path: str,
    body: dict[str, Any],
    field: str,
    message: str,
) -> None:
    _, key = flow
    response = _post(v1, path, key, body)
    error = response.json()
    if path == "/v1/chat/completions":  # the OpenAI endpoint answers in OpenAI's shape
        assert (response.status_code, error["error"]["param"]) == (400, field), error
        assert error["error"]["code"] == "invalid_param"
        assert error["error"]["message"] == message  # in words, not pydantic's
        return
    assert response.status_code == 400, error
    assert error == {"code": "invalid_param", "status": 400, "field": field, "message": message}
    assert not Run.objects.exists()


def test_v1_delete_conversation_needs_a_user(flow: tuple[Any, str], v1: httpx.Client) -> None:
    _, key = flow
    url = "/v1/conversations/00000000-0000-0000-0000-000000000000"
    for body in [{}, {"user": ""}, {"user": None}]:
        response = v1.request("DELETE", url, json=body, headers=_auth(key))
        assert (response.status_code, response.json()["field"]) == (400, "user"), body
        assert response.json()["message"] == "user is required"


def test_dify_clients_first_calls(flow: tuple[Any, str], v1: httpx.Client) -> None:
    """What dify-client's DifyClient/CompletionClient send: GET /info, GET /parameters?user=,
    then a completion message, which a Weft app (never of Dify's completion mode) refuses as
    Dify refuses an app of the wrong mode."""
    app, key = flow
    info = v1.get("/v1/info", headers=_auth(key))
    assert info.status_code == 200
    assert info.json() == {
        "name": app.name,
        "description": app.description,
        "tags": [],
        "mode": "workflow",
        "author_name": app.workspace.name,
    }
    params = v1.get("/v1/parameters", params={"user": "u1"}, headers=_auth(key))
    assert params.status_code == 200
    assert params.json()["user_input_form"] == [
        {
            "text-input": {
                "label": "name",
                "variable": "name",
                "required": True,
                "default": "",
                "max_length": 20,
            }
        }
    ]
    assert params.json()["file_upload"]["image"]["enabled"] is False
    body = {"inputs": {"name": "Ada"}, "response_mode": "blocking", "user": "u1"}
    completion = _post(v1, "/v1/completion-messages", key, body)
    assert completion.status_code == 400
    assert completion.json()["code"] == "app_unavailable"
    assert not Run.objects.exists()


def test_parameters_of_an_unpublished_app_are_unavailable(
    owner: Any, make_app: Any, v1: httpx.Client
) -> None:
    _, key = make_app(owner, slug="draft-only", publish=False)
    response = v1.get("/v1/parameters", headers=_auth(key))
    assert (response.status_code, response.json()["code"]) == (400, "app_unavailable")
    assert v1.get("/v1/info", headers=_auth(key)).json()["mode"] == "advanced-chat"


def test_v1_openapi_documents_the_bodies_the_views_check() -> None:
    from builder import v1_schemas
    from builder.v1_openapi import get_v1_openapi

    document = get_v1_openapi()
    bodies = {
        path: op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for path, item in document["paths"].items()
        for op in item.values()
        if "requestBody" in op
    }
    for path, name in bodies.items():
        model = getattr(v1_schemas, name)  # the model the view validates with
        documented, checked = document["components"]["schemas"][name], model.model_json_schema()
        assert set(documented["properties"]) == set(checked["properties"]), path
        assert documented.get("required") == checked.get("required"), path
    assert bodies["/v1/completion-messages"] == "CompletionMessageIn"


class _CrashingEngine:
    """An engine that dies before it reports anything (a bug, not a node failure)."""

    def __init__(self, graph: Any) -> None:
        pass

    async def run(self, ctx: Any) -> AsyncIterator[Any]:
        raise RuntimeError("boom at /secret/path")
        yield  # an async generator


@pytest.mark.parametrize("path", ["/v1/workflows/run", "/v1/chat-messages"])
def test_blocking_call_whose_run_crashed_is_a_500(
    owner: Any, make_app: Any, v1: httpx.Client, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    mode = "workflow" if "workflows" in path else "chat"
    _, key = make_app(owner, mode=mode, slug=f"crash-{mode}")
    monkeypatch.setattr("builder.actions.runs.Engine", _CrashingEngine)
    body = {"query": "x", "inputs": {"name": "Ada"}, "response_mode": "blocking"}
    response = _post(v1, path, key, body)
    assert response.status_code == 500
    assert response.json() == {
        "code": "internal_error",
        "status": 500,
        "message": "the run ended without a result",  # said by the API, not a stray exception
    }
    assert Run.objects.get().status == "failed"  # its trace says the run crashed
