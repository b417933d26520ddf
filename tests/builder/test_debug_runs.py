"""Editor debugging: run one node of the draft alone, or run the draft again from a node,
through the JSON API and the WebSocket (one code path), with a scripted model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from builder.models import NodeRun, Run
from tests.builder.test_run_consumer import _connect, _events_until_finished
from tests.fakes import FakeChatClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


def llm_chat_spec() -> dict[str, Any]:
    """Start → LLM (fake model, reads the query) → Template (quotes it) → Answer."""
    return {
        "mode": "chat",
        "nodes": [
            {"id": "start", "type": "start"},
            {
                "id": "llm",
                "type": "llm",
                "config": {"model": {"provider": "fake", "name": "m"}, "prompt": "{{#sys.query#}}"},
            },
            {
                "id": "quote",
                "type": "template",
                "config": {
                    "variables": [{"variable": "t", "value_selector": ["llm", "text"]}],
                    "template": "«{{ t }}»",
                },
            },
            {"id": "answer", "type": "answer", "config": {"answer": "{{#quote.output#}}"}},
        ],
        "edges": [
            {"source": "start", "target": "llm"},
            {"source": "llm", "target": "quote"},
            {"source": "quote", "target": "answer"},
        ],
    }


Post = Callable[..., Any]


def trace(run: dict[str, Any]) -> list[tuple[str, str | None]]:
    """A run detail's trace: (node id, the run its result was reused from) in order."""
    return [(n["node_id"], n["reused_from"]) for n in run["node_runs"]]


@pytest.fixture
def post(owner: Any, client_for: Any) -> Post:
    client = client_for(owner)

    def send(app: Any, body: dict[str, Any]) -> Any:
        return client.post(f"/api/apps/{app.pk}/runs", body, content_type="application/json")

    return send


def test_debug_run_one_node_with_given_inputs(
    owner: Any, make_app: Any, post: Post, model: FakeChatClient
) -> None:
    app, _ = make_app(owner, spec=llm_chat_spec(), publish=False)
    response = post(app, {"node_id": "quote", "node_inputs": {"llm.text": "by hand"}})
    body = response.json()
    assert response.status_code == 200, body
    assert (body["status"], body["source"], body["outputs"]) == (
        "succeeded",
        "debug",
        {"output": "«by hand»"},
    )
    (node,) = body["node_runs"]
    assert (node["node_id"], node["inputs"]) == ("quote", {"llm.text": "by hand"})
    assert model.requests == []  # nothing upstream ran
    assert Run.objects.get(pk=body["id"]).conversation_id is None


def test_debug_run_one_node_missing_input_is_none(
    owner: Any, make_app: Any, post: Post, model: FakeChatClient
) -> None:
    app, _ = make_app(owner, spec=llm_chat_spec(), publish=False)
    body = post(app, {"node_id": "quote"}).json()
    assert body["outputs"] == {"output": "«None»"}
    assert body["node_runs"][0]["inputs"] == {"llm.text": None}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"node_id": "ghost"}, "node_id"),
        ({"node_id": "llm", "node_inputs": {"query": "x"}}, "node_inputs"),
        ({"node_id": "llm", "from_node": "llm"}, "node_id"),
        ({"from_node": "llm"}, "from_run"),
        ({"from_run": "00000000-0000-0000-0000-000000000000"}, "from_node"),
        ({"from_node": "ghost", "from_run": "00000000-0000-0000-0000-000000000000"}, "from_node"),
        ({"from_node": "llm", "from_run": "00000000-0000-0000-0000-000000000000"}, "from_run"),
    ],
)
def test_debug_run_refuses_bad_params_naming_the_field(
    owner: Any, make_app: Any, post: Post, body: dict[str, Any], field: str
) -> None:
    app, _ = make_app(owner, spec=llm_chat_spec(), publish=False)
    response = post(app, body)
    assert (response.status_code, response.json()["field"]) == (422, field)
    assert not Run.objects.exists()


def test_debug_rerun_from_node_reuses_earlier_outputs(
    owner: Any, make_app: Any, post: Post, model: FakeChatClient
) -> None:
    app, _ = make_app(owner, spec=llm_chat_spec(), publish=False)
    model.script.append("first answer")
    first = post(app, {"query": "hello"}).json()
    assert first["answer"] == "«first answer»"
    again = post(app, {"from_node": "quote", "from_run": first["id"]}).json()
    assert again["status"] == "succeeded", again
    assert again["answer"] == "«first answer»"
    # the trace reads as the whole workflow: what was reused (and from which run), then what ran
    assert trace(again) == [
        ("start", first["id"]),
        ("llm", first["id"]),
        ("quote", None),
        ("answer", None),
    ]
    assert len(model.requests) == 1  # the LLM's answer was reused, not asked for again
    assert again["source"] == "draft"
    assert again["inputs"] == first["inputs"]


def test_debug_rerun_of_a_rerun_reuses_what_the_first_run_gave(
    owner: Any, make_app: Any, post: Post, model: FakeChatClient
) -> None:
    """A run from here stores only the nodes it ran; running from here again from it finds the
    others' results in the run it reused (it was refused: "node start has no result")."""
    app, _ = make_app(owner, spec=llm_chat_spec(), publish=False)
    model.script.append("first answer")
    first = post(app, {"query": "hello"}).json()
    again = post(app, {"from_node": "quote", "from_run": first["id"]}).json()
    third = post(app, {"from_node": "answer", "from_run": again["id"]})
    assert third.status_code == 200, third.json()
    assert third.json()["answer"] == "«first answer»"
    assert trace(third.json()) == [
        ("start", first["id"]),
        ("llm", first["id"]),
        ("quote", again["id"]),
        ("answer", None),
    ]
    assert Run.objects.get(pk=third.json()["id"]).node_runs.count() == 1  # it stores what it ran
    assert (
        Run.objects.get(pk=third.json()["id"]).reused_from_id == Run.objects.get(pk=again["id"]).pk
    )
    model.script.append("second answer")
    fourth = post(app, {"from_node": "llm", "from_run": third.json()["id"]}).json()
    assert fourth["answer"] == "«second answer»"
    assert model.requests[-1].messages[-1].content == "hello"  # the first run's query
    assert len(model.requests) == 2


def test_debug_rerun_refuses_when_a_reused_node_has_no_result(
    owner: Any, make_app: Any, post: Post, model: FakeChatClient
) -> None:
    app, _ = make_app(owner, spec=llm_chat_spec(), publish=False)
    model.script.append(RuntimeError("model down"))
    failed = post(app, {"query": "hello"}).json()
    assert (failed["status"], failed["failed_node_id"]) == ("failed", "llm")
    response = post(app, {"from_node": "quote", "from_run": failed["id"]})
    assert response.status_code == 422
    assert (response.json()["field"], response.json()["node_id"]) == ("from_run", "llm")
    model.script.append("better")
    retried = post(app, {"from_node": "llm", "from_run": failed["id"]}).json()
    assert retried["answer"] == "«better»"
    assert model.requests[-1].messages[-1].content == "hello"  # the earlier run's query


def test_debug_rerun_refuses_a_run_of_another_app(
    owner: Any, make_app: Any, post: Post, model: FakeChatClient
) -> None:
    app, _ = make_app(owner, spec=llm_chat_spec(), publish=False, slug="one")
    other, _ = make_app(owner, spec=llm_chat_spec(), publish=False, slug="two")
    model.script.append("x")
    theirs = post(other, {"query": "q"}).json()
    response = post(app, {"from_node": "quote", "from_run": theirs["id"]})
    assert (response.status_code, response.json()["field"]) == (422, "from_run")


async def test_debug_node_run_over_websocket_streams_its_events(
    owner: Any, make_app: Any, model: FakeChatClient
) -> None:
    app, _ = await sync_to_async(make_app)(owner, spec=llm_chat_spec(), publish=False)
    model.script.append(["Hel", "lo"])
    communicator, _ = await _connect(owner.user, app.pk)
    await communicator.send_json_to(
        {"type": "run", "node_id": "llm", "node_inputs": {"sys.query": "say hello"}}
    )
    created = await communicator.receive_json_from(timeout=10)
    assert (created["type"], created["conversation_id"]) == ("run_created", None)
    events = await _events_until_finished(communicator)
    assert [e["kind"] for e in events] == [
        "run_started",
        "node_started",
        "node_delta",
        "node_delta",
        "node_succeeded",
        "run_finished",
    ]
    assert events[-1]["outputs"]["text"] == "Hello"
    assert model.requests[0].messages[-1].content == "say hello"
    rows = [(r.node_id, r.status) async for r in NodeRun.objects.filter(run_id=created["run_id"])]
    assert rows == [("llm", "succeeded")]
    await communicator.disconnect()


async def test_debug_rerun_over_websocket_emits_only_nodes_that_run_again(
    owner: Any, make_app: Any, model: FakeChatClient
) -> None:
    app, _ = await sync_to_async(make_app)(owner, spec=llm_chat_spec(), publish=False)
    model.script.append("once")
    communicator, _ = await _connect(owner.user, app.pk)
    await communicator.send_json_to({"type": "run", "query": "hi"})
    first = await communicator.receive_json_from(timeout=10)
    await _events_until_finished(communicator)
    await communicator.send_json_to(
        {"type": "run", "from_node": "quote", "from_run": first["run_id"]}
    )
    assert (await communicator.receive_json_from(timeout=10))["type"] == "run_created"
    events = await _events_until_finished(communicator)
    started = [e["node_id"] for e in events if e["kind"] == "node_started"]
    assert started == ["quote", "answer"]
    assert not {e.get("node_id") for e in events} & {"start", "llm"}
    assert events[-1]["answer"] == "«once»"
    await communicator.send_json_to({"type": "run", "node_inputs": "not an object"})
    error = await communicator.receive_json_from(timeout=10)
    assert (error["type"], error["code"], error["field"]) == (
        "error",
        "invalid_param",
        "node_inputs",
    )
    await communicator.disconnect()


def test_debug_run_template_output_limit_comes_from_settings(
    owner: Any, make_app: Any, post: Post, settings: Any
) -> None:
    """Finding 3: WEFT_MAX_OUTPUT_BYTES reaches the runtime; an over-limit render fails."""
    settings.WEFT_MAX_OUTPUT_BYTES = 8
    app, _ = make_app(owner, spec=llm_chat_spec(), publish=False)
    body = post(app, {"node_id": "quote", "node_inputs": {"llm.text": "longer than eight"}}).json()
    assert body["status"] == "failed", body
    assert body["error_code"] == "OutputTooLargeError"
    assert "max_output_bytes (8)" in body["error"]


def test_debug_rerun_page_lists_reused_nodes_with_their_run(
    owner: Any, make_app: Any, post: Post, model: FakeChatClient, client_for: Any
) -> None:
    """The portal's run page reads a re-run as the API does: reused nodes first, each linking
    to the run that ran it."""
    app, _ = make_app(owner, spec=llm_chat_spec(), publish=False)
    model.script.append("first answer")
    first = post(app, {"query": "hello"}).json()
    again = post(app, {"from_node": "quote", "from_run": first["id"]}).json()
    page = client_for(owner).get(f"/apps/{app.pk}/runs/{again['id']}/").content.decode()
    assert "4 nodes" in page
    link = f'href="/apps/{app.pk}/runs/{first["id"]}/" data-testid="reused-from"'
    assert page.count(link) == 2  # start and llm
    node = '<code class="small muted">{}</code>'.format
    assert page.index(node("start")) < page.index(link) < page.index(node("quote"))
