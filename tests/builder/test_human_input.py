"""Durable paused runs: a human-input node stores a waiting run in the database, and a resume from
the editor API, the WebSocket, the portal's run page or the Service API runs it on from there."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from builder.actions import runs as run_actions
from builder.models import NodeRun, Run, Workflow
from tests.builder.test_run_consumer import _connect, _events_until_finished
from tests.specs import echo_workflow_spec, human_input_spec

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


def _post(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, body, content_type="application/json")


def _trace(body: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(n["index"], n["node_id"], n["status"]) for n in body["node_runs"]]


def _paused(owner: Any, make_app: Any, client_for: Any, **ask: Any) -> tuple[Any, dict[str, Any]]:
    app, _ = make_app(owner, spec=human_input_spec(**ask), publish=False)
    client = client_for(owner)
    body = _post(client, f"/api/apps/{app.pk}/runs", {"inputs": {"topic": "tea"}}).json()
    return app, body


def test_paused_run_is_stored_and_a_new_client_resumes_it(
    owner: Any, make_app: Any, client_for: Any, client: Any
) -> None:
    app, body = _paused(owner, make_app, client_for)
    assert body["status"] == "waiting", body
    (form,) = body["waiting"]
    assert (form["node_id"], form["prompt"]) == ("ask", "What about tea?")
    assert _trace(body) == [(1, "start", "succeeded"), (2, "ask", "waiting")]
    # a restart keeps nothing in memory: the run lives on in its rows, even as the draft changes
    run_actions._active.clear()
    Workflow.objects.filter(app=app).update(spec=echo_workflow_spec())
    client.logout()
    fresh = client_for(owner)
    listed = fresh.get(f"/api/apps/{app.pk}/runs").json()
    assert [(r["id"], r["status"]) for r in listed] == [(body["id"], "waiting")]
    path = f"/api/apps/{app.pk}/runs/{body['id']}/resume"
    done = _post(fresh, path, {"answers": {"answer": "green", "level": "high"}}).json()
    assert (done["id"], done["status"], done["waiting"]) == (body["id"], "succeeded", [])
    assert done["outputs"] == {"a": "green", "l": "high"}
    assert _trace(done) == [(1, "start", "succeeded"), (2, "ask", "succeeded"),
                            (3, "end", "succeeded")]  # fmt: skip
    assert done["total_steps"] == 3
    again = _post(fresh, path, {"answers": {"answer": "again"}})
    assert again.status_code == 409
    assert again.json()["code"] == "run_not_waiting"
    assert "succeeded" in again.json()["message"]


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({}, "answers.answer"),
        ({"answer": "x", "level": "mid"}, "answers.level"),
        ({"answer": "x", "mood": "ok"}, "answers.mood"),
    ],
)
def test_bad_answer_is_422_naming_the_field_and_changes_nothing(
    owner: Any, make_app: Any, client_for: Any, answers: dict[str, Any], field: str
) -> None:
    app, body = _paused(owner, make_app, client_for)
    before = list(NodeRun.objects.filter(run_id=body["id"]).values_list("node_id", "status"))
    path = f"/api/apps/{app.pk}/runs/{body['id']}/resume"
    response = _post(client_for(owner), path, {"answers": answers})
    assert (response.status_code, response.json()["field"]) == (422, field)
    run = Run.objects.get(pk=body["id"])
    assert run.status == "waiting"
    assert list(NodeRun.objects.filter(run=run).values_list("node_id", "status")) == before


def test_overdue_run_goes_on_as_on_timeout_says_when_read(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    _, body = _paused(owner, make_app, client_for, timeout_s=60, on_timeout="default")
    run = Run.objects.get(pk=body["id"])
    assert client_for(owner).get(f"/api/runs/{run.pk}").json()["status"] == "waiting"
    paused_at = timezone.now() - timedelta(seconds=61)
    run.pending = {**run.pending, "paused_at": paused_at.isoformat()}
    run.save(update_fields=["pending"])
    read = client_for(owner).get(f"/api/runs/{run.pk}").json()
    assert read["status"] == "succeeded", read
    assert read["outputs"] == {"a": None, "l": "low"}
    (ask,) = [n for n in read["node_runs"] if n["node_id"] == "ask"]
    assert ask["outputs"]["timed_out"] is True


def test_portal_run_page_shows_the_form_and_its_answer_resumes(
    owner: Any, make_app: Any, client_for: Any
) -> None:
    app, body = _paused(owner, make_app, client_for)
    client = client_for(owner)
    page = client.get(f"/apps/{app.pk}/runs/{body['id']}/").content.decode()
    assert 'data-testid="waiting-form"' in page
    assert 'id="waiting-ask"' in page  # where the app page's live trace links to answer it
    assert "What about tea?" in page
    url = f"/apps/{app.pk}/runs/{body['id']}/resume/"
    bad = client.post(url, {"node_id": "ask", "answer": "", "level": "low"}, follow=True)
    assert "answers.answer is required" in bad.content.decode()
    client.post(url, {"node_id": "ask", "answer": "by form", "level": "low"})
    run = Run.objects.get(pk=body["id"])
    assert (run.status, run.outputs, run.pending) == ("succeeded", {"a": "by form", "l": "low"}, {})
    # a second page opened while it waited posts its form after that answer: told so in words
    stale = client.post(url, {"node_id": "ask", "answer": "too late", "level": "high"}, follow=True)
    said = stale.content.decode()
    assert "This run is no longer waiting for an answer" in said
    assert "is succeeded now. Your answer was not used." in said
    assert 'data-testid="waiting-form"' not in said
    run.refresh_from_db()
    assert run.outputs == {"a": "by form", "l": "low"}


async def test_websocket_tells_the_editor_the_run_paused_and_resumes_it(
    owner: Any, make_app: Any
) -> None:
    app, _ = await sync_to_async(make_app)(owner, spec=human_input_spec(), publish=False)
    communicator, connected = await _connect(owner.user, app.pk)
    assert connected
    await communicator.send_json_to({"type": "run", "inputs": {"topic": "tea"}})
    created = await communicator.receive_json_from(timeout=10)
    events = await _events_until_finished(communicator)
    assert [e["kind"] for e in events][-2:] == ["node_paused", "run_finished"]
    assert events[-1]["status"] == "waiting"
    assert events[-2]["form"]["prompt"] == "What about tea?"
    resume = {"type": "resume", "run_id": created["run_id"], "answers": {"answer": "ws"}}
    await communicator.send_json_to(resume)
    again = await communicator.receive_json_from(timeout=10)
    assert again == {"type": "run_created", "run_id": created["run_id"], "conversation_id": None}
    events = await _events_until_finished(communicator)
    started = [e["node_id"] for e in events if e["kind"] == "node_started"]
    assert started == ["ask", "end"]
    assert (events[-1]["status"], events[-1]["outputs"]) == ("succeeded", {"a": "ws", "l": "low"})
    await communicator.send_json_to(resume)
    refused = await communicator.receive_json_from(timeout=10)
    assert (refused["type"], refused["code"]) == ("error", "run_not_waiting")
    await communicator.disconnect()


async def test_service_api_resumes_a_waiting_run(owner: Any, make_app: Any, live_url: str) -> None:
    _, key = await sync_to_async(make_app)(owner, spec=human_input_spec(), slug="asker")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=live_url, timeout=60, headers=headers) as http:
        body = {"inputs": {"topic": "tea"}, "user": "u1", "response_mode": "blocking"}
        first = (await http.post("/v1/workflows/run", content=json.dumps(body))).json()
        assert first["data"]["status"] == "waiting", first
        assert first["data"]["waiting"][0]["fields"][0]["name"] == "answer"
        path = f"/v1/workflows/runs/{first['workflow_run_id']}/resume"
        bad = await http.post(path, content=json.dumps({"answers": {"level": "x"}}))
        assert (bad.status_code, bad.json()["field"]) == (422, "answers.answer")
        done = await http.post(path, content=json.dumps({"answers": {"answer": "api"}}))
        data = done.json()["data"]
        assert (data["status"], data["outputs"]) == ("succeeded", {"a": "api", "l": "low"})
        again = await http.post(path, content=json.dumps({"answers": {"answer": "api"}}))
        assert (again.status_code, again.json()["code"]) == (409, "run_not_waiting")
        other = await http.post(
            "/v1/workflows/runs/00000000-0000-0000-0000-000000000000/resume", content="{}"
        )
        assert other.status_code == 404
