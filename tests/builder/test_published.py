"""The published-app layer: which version serves, and schema-checked /v1 bodies refused in
Dify's shape, over real HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from builder.actions.workflows import do_publish_workflow
from builder.errors import ApiError
from builder.models import Run, Workflow
from builder.published import get_published, serving_versions
from tests.specs import echo_workflow_spec

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


@pytest.fixture
def v1(live_url: str) -> httpx.Client:
    return httpx.Client(base_url=live_url, timeout=120)


@pytest.fixture
def flow(owner: Any, make_app: Any) -> tuple[Any, str]:
    return make_app(owner, mode="workflow", slug="greeter")


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
    ("path", "body", "field"),
    [
        ("/v1/workflows/run", {"inputs": [1]}, "inputs"),
        ("/v1/workflows/run", {"user": [1]}, "user"),
        ("/v1/workflows/run", {"response_mode": "later"}, "response_mode"),
        ("/v1/chat-messages", {"query": "x", "conversation_id": 3}, "conversation_id"),
        ("/v1/workflows/tasks/abc/stop", {"user": {}}, "user"),
        ("/v1/chat/completions", {"model": "x", "messages": []}, "messages"),
        (
            "/v1/chat/completions",
            {"model": "x", "messages": [{"role": "user"}]},
            "messages[0].content",
        ),
        (
            "/v1/chat/completions",
            {"model": "x", "messages": [{"role": "user", "content": "a"}], "stream": "later"},
            "stream",
        ),
    ],
)
def test_v1_bodies_are_refused_in_difys_shape_naming_the_field(
    flow: tuple[Any, str], v1: httpx.Client, path: str, body: dict[str, Any], field: str
) -> None:
    _, key = flow
    response = _post(v1, path, key, body)
    error = response.json()
    if path == "/v1/chat/completions":  # the OpenAI endpoint answers in OpenAI's shape
        assert (response.status_code, error["error"]["param"]) == (400, field), error
        assert error["error"]["code"] == "invalid_param"
        return
    assert response.status_code == 400, error
    assert error == {
        "code": "invalid_param",
        "status": 400,
        "field": field,
        "message": error["message"],
    }
    assert error["message"].startswith(field)
    assert not Run.objects.exists()


def test_v1_delete_conversation_needs_a_user(flow: tuple[Any, str], v1: httpx.Client) -> None:
    _, key = flow
    url = "/v1/conversations/00000000-0000-0000-0000-000000000000"
    for body in [{}, {"user": ""}, {"user": None}]:
        response = v1.request("DELETE", url, json=body, headers=_auth(key))
        assert (response.status_code, response.json()["field"]) == (400, "user"), body
        assert response.json()["message"] == "user is required"


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
