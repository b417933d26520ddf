"""The example call shown beside a new API key: built from the app's mode and its published
inputs, and run here exactly as shown (bash + curl against Weft served over real HTTP)."""

from __future__ import annotations

from typing import Any, get_args
from urllib.parse import urlsplit

import pytest

from builder.actions.workflows import do_publish_workflow
from builder.api_examples import sample_value, start_variables
from runtime.nodes import registry
from runtime.nodes.start import InputType, StartConfig, StartNode, StartVariable
from tests.shell import run_pasted_curl
from tests.specs import echo_chat_spec, topic_workflow_spec

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


def _create_key(client: Any, app_id: int, live_url: str) -> dict[str, Any]:
    """POST /api/apps/<id>/keys as the portal does, from a page served at `live_url`."""
    response = client.post(
        f"/api/apps/{app_id}/keys",
        {"name": "site"},
        content_type="application/json",
        HTTP_HOST=urlsplit(live_url).netloc,
    )
    assert response.status_code == 201, response.content
    created: dict[str, Any] = response.json()
    return created


def test_api_example_for_workflow_app_sends_its_inputs_and_runs(
    owner: Any, make_app: Any, client_for: Any, live_url: str
) -> None:
    app, _ = make_app(owner, spec=topic_workflow_spec(), slug="topics")
    created = _create_key(client_for(owner), app.pk, live_url)
    example = created["example"]
    assert example["url"] == f"{live_url}/v1/workflows/run"
    assert example["version"] == 1
    assert example["body"]["inputs"] == {
        "topic": "sample topic",
        "count": 1,
        "tone": "warm",
        "formal": True,
        "mood": "it's sunny",
    }
    assert "query" not in example["body"]
    assert created["key"] in example["curl"]

    status, body = run_pasted_curl(example["curl"])
    assert status == 200, body
    assert body["data"]["status"] == "succeeded", body
    assert body["data"]["outputs"] == {"line": "sample topic|1|warm|True|it's sunny"}


def test_api_example_for_chat_app_sends_a_query_and_runs(
    owner: Any, make_app: Any, client_for: Any, live_url: str
) -> None:
    spec = echo_chat_spec()
    spec["nodes"][0]["config"]["variables"] = [{"variable": "lang", "type": "text"}]
    app, _ = make_app(owner, spec=spec, slug="echo")
    example = _create_key(client_for(owner), app.pk, live_url)["example"]
    assert example["url"] == f"{live_url}/v1/chat-messages"
    assert example["body"]["query"] == "Hello!"
    assert example["body"]["inputs"] == {"lang": "sample lang"}

    status, body = run_pasted_curl(example["curl"])
    assert status == 200, body
    assert body["answer"] == "echo: Hello!"
    assert body["conversation_id"]


def test_api_example_follows_the_published_version_not_the_draft(
    owner: Any, make_app: Any, client_for: Any, live_url: str
) -> None:
    app, _ = make_app(owner, spec=topic_workflow_spec(), slug="drafty", publish=False)
    client = client_for(owner)
    unpublished = _create_key(client, app.pk, live_url)["example"]
    assert unpublished["version"] is None  # the draft's inputs: what its first publish serves
    assert set(unpublished["body"]["inputs"]) == {"topic", "count", "tone", "formal", "mood"}

    do_publish_workflow(app, owner.user)
    draft = client.get(f"/api/apps/{app.pk}/draft").json()
    draft["spec"]["nodes"][0]["config"]["variables"] = [{"variable": "other", "type": "text"}]
    saved = client.put(
        f"/api/apps/{app.pk}/draft",
        {"spec": draft["spec"], "revision": draft["revision"]},
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    published = _create_key(client, app.pk, live_url)["example"]
    assert published["version"] == 1
    assert set(published["body"]["inputs"]) == {"topic", "count", "tone", "formal", "mood"}


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ({"variable": "n", "type": "number", "default": 7}, 7),
        ({"variable": "t", "type": "text", "max_length": 5}, "sampl"),
        ({"variable": "s", "type": "select", "options": []}, "sample s"),
        ({"variable": "c", "type": "checkbox", "default": False}, False),
        ({"variable": "p", "label": "Your Question", "type": "paragraph"}, "sample your question"),
        ({"variable": "l", "type": "array[number]"}, [1]),
        ({"variable": "o", "type": "json_object"}, {}),
    ],
)
def test_api_example_sample_value_fits_the_variable(var: dict[str, Any], value: Any) -> None:
    assert sample_value(var) == value


@pytest.mark.parametrize("kind", get_args(InputType))
def test_api_example_sample_of_each_input_type_is_accepted(kind: str) -> None:
    var: dict[str, Any] = {"variable": "v", "type": kind, "options": ["a"]}
    if kind == "json_object":
        var["json_schema"] = {
            "properties": {"host": {"type": "string"}, "tags": {"type": "array"}},
            "required": ["host", "tags"],
        }
    start = StartNode("s", StartConfig(variables=[StartVariable.model_validate(var)]))
    assert start.validate_inputs({"v": sample_value(var)}) == {"v": sample_value(var)}


class _EntryNode(StartNode):
    """A start node under another type id: the capability, not the id, marks where runs begin."""


def test_api_example_inputs_come_from_the_node_type_that_starts_runs() -> None:
    city = {"variable": "city", "type": "text"}
    entry = {"id": "in", "type": "entry", "config": {"variables": [city]}}
    spec = {"nodes": [{"id": "a", "type": "llm"}, entry]}
    with registry.temporary("entry", _EntryNode):
        assert start_variables(spec) == [city]
    assert start_variables(spec) == []  # no such type: nothing starts the run
    stale = {"nodes": [{"id": "s", "type": "start", "version": 9, "config": {"variables": [city]}}]}
    assert start_variables(stale) == []  # a version the registry lacks is not the start node
