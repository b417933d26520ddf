"""A draft run says where it was started (editor or the portal's test form), and a chat run's
detail carries the user's message, in the JSON API and on the portal's run page."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from builder.models import Run, RunSource
from portal.routing import websocket_urlpatterns

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


def _run(client: Any, app_id: int, body: dict[str, Any]) -> Any:
    return client.post(f"/api/apps/{app_id}/runs", body, content_type="application/json")


def test_run_origin_labels_portal_and_editor_runs(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    app, _ = make_app(owner, publish=False)
    client = client_for(owner)
    portal = _run(client, app.pk, {"query": "from the form", "origin": "portal"}).json()
    editor = _run(client, app.pk, {"query": "from the canvas"}).json()
    assert (portal["source"], editor["source"]) == ("portal", "draft")
    assert Run.objects.get(pk=portal["id"]).get_source_display() == "Test form (portal)"
    assert Run.objects.get(pk=editor["id"]).get_source_display() == "Draft (editor)"


def test_run_origin_refuses_an_unknown_origin_naming_the_field(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    app, _ = make_app(owner, publish=False)
    response = _run(client_for(owner), app.pk, {"query": "hi", "origin": "somewhere"})
    assert response.status_code == 422
    assert "origin" in response.content.decode()
    assert not Run.objects.exists()


async def test_run_origin_from_the_portal_socket_is_stored(owner: Any, make_app: Any) -> None:
    app, _ = await sync_to_async(make_app)(owner, publish=False)
    socket = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/apps/{app.pk}/runs/")
    socket.scope["user"] = owner.user
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to({"type": "run", "origin": "portal", "query": "hi", "inputs": {}})
    created = await socket.receive_json_from(timeout=30)
    assert created["type"] == "run_created", created
    while True:
        message = await socket.receive_json_from(timeout=30)
        if message["type"] == "event" and message["event"]["kind"] == "run_finished":
            break
    await socket.disconnect()
    run = await Run.objects.aget(pk=created["run_id"])
    assert run.source == RunSource.PORTAL


def test_run_detail_carries_a_chat_runs_query(owner: Any, make_app: Any, client_for: Any) -> None:
    chat, _ = make_app(owner, publish=False, slug="chatty")
    flow, _ = make_app(owner, mode="workflow", publish=False, slug="flowy")
    client = client_for(owner)
    ran = _run(client, chat.pk, {"query": "what is <weft>?", "origin": "portal"}).json()
    assert ran["query"] == "what is <weft>?"
    assert client.get(f"/api/runs/{ran['id']}").json()["query"] == "what is <weft>?"
    flowed = _run(client, flow.pk, {"inputs": {"name": "Ada"}}).json()
    assert flowed["status"] == "succeeded", flowed
    assert flowed["query"] is None

    html = client.get(f"/apps/{chat.pk}/runs/{ran['id']}/").content.decode()
    assert '<div class="output-text pre-wrap" id="run-query">what is &lt;weft&gt;?</div>' in html
    assert "Test form (portal)" in html
    assert "turn 1" in html
    assert "Inputs</h3>" not in html  # a chat run without inputs shows its message, not "{}"
    again = _run(
        client,
        chat.pk,
        {"query": "and then?", "conversation_id": ran["conversation_id"], "origin": "portal"},
    ).json()
    html = client.get(f"/apps/{chat.pk}/runs/{again['id']}/").content.decode()
    assert "and then?" in html
    assert "turn 2" in html
    workflow_html = client.get(f"/apps/{flow.pk}/runs/{flowed['id']}/").content.decode()
    assert "Inputs</h3>" in workflow_html
    assert 'id="run-query"' not in workflow_html
