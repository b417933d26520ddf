"""The WebSocket that streams a draft run's events to the editor."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from portal.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


async def _connect(user: Any, app_id: int) -> tuple[WebsocketCommunicator, bool]:
    from channels.routing import URLRouter

    from portal.routing import websocket_urlpatterns

    communicator = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns), f"/ws/apps/{app_id}/runs/"
    )
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    return communicator, connected


async def _events_until_finished(communicator: WebsocketCommunicator) -> list[dict[str, Any]]:
    events = []
    while True:
        message = await communicator.receive_json_from(timeout=30)
        if message["type"] == "event":
            events.append(message["event"])
            if message["event"]["kind"] == "run_finished":
                return events


async def test_run_consumer_streams_draft_run_events(owner: Any, make_app: Any) -> None:
    app, _ = await sync_to_async(make_app)(owner, publish=False)
    communicator, connected = await _connect(owner.user, app.pk)
    assert connected
    await communicator.send_json_to({"type": "run", "query": "ping", "inputs": {}})
    created = await communicator.receive_json_from(timeout=10)
    assert created["type"] == "run_created"
    events = await _events_until_finished(communicator)
    kinds = [e["kind"] for e in events]
    assert kinds == [
        "run_started",
        "node_started",
        "node_succeeded",
        "node_started",
        "node_succeeded",
        "node_started",
        "text_chunk",
        "node_succeeded",
        "run_finished",
    ]
    assert events[-1]["answer"] == "echo: ping"
    assert all(e["run_id"] == created["run_id"] for e in events)
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    await communicator.disconnect()


async def test_run_consumer_refuses_viewer_and_stranger(make_member: Any, make_app: Any) -> None:
    owner = await sync_to_async(make_member)("owner")
    app, _ = await sync_to_async(make_app)(owner, publish=False)
    viewer = await sync_to_async(make_member)("viewer", owner.workspace)
    stranger = await sync_to_async(make_member)("owner")
    for membership in (viewer, stranger):
        communicator, connected = await _connect(membership.user, app.pk)
        assert not connected
        await communicator.disconnect()


async def test_run_consumer_reports_graph_issues(owner: Any, make_app: Any) -> None:
    from tests.specs import echo_chat_spec

    spec = echo_chat_spec()
    spec["edges"] = []
    app, _ = await sync_to_async(make_app)(owner, spec=spec, publish=False)
    communicator, _ = await _connect(owner.user, app.pk)
    await communicator.send_json_to({"type": "run", "query": "x"})
    message = await communicator.receive_json_from(timeout=10)
    assert message["type"] == "error"
    assert message["code"] == "graph_invalid"
    assert {i["code"] for i in message["issues"]} >= {"unreachable"}
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("message", "field", "said"),
    [
        ({"query": 5}, "query", "query must be text"),
        ({"inputs": [1]}, "inputs", "inputs must be a JSON object"),
        ({"origin": "cli"}, "origin", "origin: use 'editor' or 'portal'"),
    ],
)
async def test_run_consumer_refuses_a_bad_field_in_words(
    owner: Any, make_app: Any, message: dict[str, Any], field: str, said: str
) -> None:
    app, _ = await sync_to_async(make_app)(owner, publish=False)
    communicator, _ = await _connect(owner.user, app.pk)
    await communicator.send_json_to({"type": "run", **message})
    refused = await communicator.receive_json_from(timeout=10)
    assert (refused["code"], refused["field"], refused["message"]) == ("invalid_param", field, said)
    await communicator.disconnect()


def test_asgi_application_routes_http_and_websocket() -> None:
    assert set(application.application_mapping) == {"http", "websocket"}


async def test_run_consumer_chat_preview_keeps_conversation_memory(
    owner: Any, make_app: Any, model: Any
) -> None:
    model.script.extend(["Hi Ann!", "You are Ann."])
    spec = {
        "mode": "chat",
        "nodes": [
            {"id": "start", "type": "start"},
            {
                "id": "llm",
                "type": "llm",
                "config": {
                    "model": {"provider": "fake", "name": "m"},
                    "prompt": "{{#sys.dialogue_count#}}: {{#sys.query#}}",
                    "memory": {"enabled": True},
                },
            },
            {"id": "answer", "type": "answer", "config": {"answer": "{{#llm.text#}}"}},
        ],
        "edges": [{"source": "start", "target": "llm"}, {"source": "llm", "target": "answer"}],
    }
    app, _ = await sync_to_async(make_app)(owner, spec=spec, publish=False)
    communicator, _ = await _connect(owner.user, app.pk)
    await communicator.send_json_to({"type": "run", "query": "I am Ann"})
    first = await communicator.receive_json_from(timeout=10)
    assert (await _events_until_finished(communicator))[-1]["answer"] == "Hi Ann!"
    await communicator.send_json_to(
        {"type": "run", "query": "Who am I?", "conversation_id": first["conversation_id"]}
    )
    second = await communicator.receive_json_from(timeout=10)
    assert second["conversation_id"] == first["conversation_id"]
    assert (await _events_until_finished(communicator))[-1]["answer"] == "You are Ann."
    assert model.requests[0].messages[-1].content == "1: I am Ann"
    seen = [(m.role, m.content) for m in model.requests[1].messages]
    assert seen == [  # memory holds the turns' queries and answers, then this turn's prompt
        ("user", "I am Ann"),
        ("assistant", "Hi Ann!"),
        ("user", "2: Who am I?"),
    ]
    await communicator.disconnect()


async def _assert_refused(communicator: WebsocketCommunicator) -> None:
    error = await communicator.receive_json_from(timeout=10)
    assert (error["type"], error["code"]) == ("error", "forbidden")
    closed = await communicator.receive_output(timeout=10)
    assert closed == {"type": "websocket.close", "code": 4403}


@pytest.mark.parametrize("change", ["removed", "demoted", "deactivated", "app_moved"])
async def test_run_consumer_rechecks_access_at_each_run(
    make_member: Any, make_app: Any, change: str
) -> None:
    owner = await sync_to_async(make_member)("owner")
    editor = await sync_to_async(make_member)("editor", owner.workspace)
    app, _ = await sync_to_async(make_app)(owner, publish=False)
    communicator, connected = await _connect(editor.user, app.pk)
    assert connected
    if change == "removed":
        await editor.adelete()
    elif change == "demoted":
        editor.role = "viewer"
        await editor.asave(update_fields=["role"])
    elif change == "deactivated":
        await type(editor.user).objects.filter(pk=editor.user_id).aupdate(is_active=False)
    else:
        elsewhere = await sync_to_async(make_member)("owner")
        await sync_to_async(make_member)("editor", elsewhere.workspace)
        app.workspace_id = elsewhere.workspace_id
        await app.asave(update_fields=["workspace"])
    await communicator.send_json_to({"type": "run", "query": "ping", "inputs": {}})
    await _assert_refused(communicator)
    from builder.models import Run

    assert not await Run.objects.filter(app_id=app.pk).aexists()
    await communicator.disconnect()


async def test_run_consumer_refuses_stop_after_removal(make_member: Any, make_app: Any) -> None:
    owner = await sync_to_async(make_member)("owner")
    editor = await sync_to_async(make_member)("editor", owner.workspace)
    app, _ = await sync_to_async(make_app)(owner, publish=False)
    communicator, connected = await _connect(editor.user, app.pk)
    assert connected
    await communicator.send_json_to({"type": "run", "query": "ping", "inputs": {}})
    assert (await communicator.receive_json_from(timeout=10))["type"] == "run_created"
    await _events_until_finished(communicator)
    await editor.adelete()
    await communicator.send_json_to({"type": "stop"})
    await _assert_refused(communicator)
    await communicator.disconnect()
