"""The demo workspace and app of `make run`, answered by the real embedded model over HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from builder.demo import DEMO_APP, do_seed_demo
from builder.keys import do_create_api_key
from builder.models import App, AppVersion, Run, Workflow

pytestmark = pytest.mark.django_db(transaction=True)


def test_seed_demo_is_idempotent_and_keeps_password(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    user, password = do_seed_demo()
    again, shown = do_seed_demo()
    assert user.pk == again.pk
    assert password
    assert shown == password
    assert user.check_password(password)
    assert App.objects.filter(slug=DEMO_APP).count() == 1
    assert App.objects.get(slug=DEMO_APP).versions.count() == 1


def test_demo_app_streams_embedded_model_answer_over_http(
    live_url: str, settings: Any, tmp_path: Any
) -> None:
    settings.DATA_DIR = tmp_path
    do_seed_demo()
    app = App.objects.get(slug=DEMO_APP)
    _, key = do_create_api_key(app, "test", None)
    events = []
    with httpx.stream(
        "POST",
        f"{live_url}/v1/chat-messages",
        timeout=120,
        headers={"Authorization": f"Bearer {key}"},
        json={
            "query": "Hi, who are you?",
            "inputs": {},
            "user": "u1",
            "response_mode": "streaming",
        },
    ) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    kinds = [e["event"] for e in events]
    assert kinds[0] == "workflow_started"
    assert kinds[-2:] == ["message_end", "workflow_finished"], kinds
    answer = "".join(e["answer"] for e in events if e["event"] == "message")
    assert kinds.count("message") > 3  # streamed token by token, not in one piece
    assert len(answer.split()) >= 3
    usage = events[-2]["metadata"]["usage"]
    assert usage["completion_tokens"] > 0
    assert usage["prompt_tokens"] > 0
    run = Run.objects.get(pk=events[0]["task_id"])
    assert run.status == "succeeded"
    assert run.answer == answer
    assert run.node_runs.get(node_id="llm").completion_tokens == usage["completion_tokens"]


def _ask(live_url: str, key: str, query: str, conversation_id: str = "") -> dict[str, Any]:
    """One blocking chat turn over the Service API."""
    response = httpx.post(
        f"{live_url}/v1/chat-messages",
        timeout=120,
        headers={"Authorization": f"Bearer {key}"},
        json={
            "query": query,
            "inputs": {},
            "user": "u1",
            "response_mode": "blocking",
            "conversation_id": conversation_id,
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_demo_app_remembers_the_conversation(live_url: str, settings: Any, tmp_path: Any) -> None:
    """The portal promises conversations with memory: a second turn's LLM call is sent the first
    turn's query and answer (as its trace records), whatever the tiny model makes of them."""
    settings.DATA_DIR = tmp_path
    do_seed_demo()
    app = App.objects.get(slug=DEMO_APP)
    _, key = do_create_api_key(app, "test", None)
    first = _ask(live_url, key, "My name is Ada. Please remember it.")
    second = _ask(live_url, key, "What did I just ask you?", first["conversation_id"])
    assert second["conversation_id"] == first["conversation_id"]

    def sent(body: dict[str, Any]) -> dict[str, Any]:
        prompt: dict[str, Any] = (
            Run.objects.get(pk=body["task_id"]).node_runs.get(node_id="llm").metadata["prompt"]
        )
        return prompt

    assert sent(first)["from_memory"] == 0
    prompt = sent(second)
    messages = [(m["role"], m["content"]) for m in prompt["messages"]]
    assert prompt["from_memory"] == 2
    assert messages[-3:] == [
        ("user", "My name is Ada. Please remember it."),
        ("assistant", first["answer"]),
        ("user", "What did I just ask you?"),
    ]


def test_seed_demo_turns_memory_on_in_an_untouched_older_demo(settings: Any, tmp_path: Any) -> None:
    """A demo seeded before chat apps remembered by default gets memory on its next `make run`;
    one that its owner edited is left alone."""
    settings.DATA_DIR = tmp_path
    do_seed_demo()
    app = App.objects.get(slug=DEMO_APP)
    version = app.versions.get()
    forgetful = json.loads(json.dumps(version.spec))
    for n in forgetful["nodes"]:
        if n["type"] == "llm":
            n["config"]["memory"]["enabled"] = False
    AppVersion.objects.filter(pk=version.pk).update(spec=forgetful)
    Workflow.objects.filter(app=app).update(spec=forgetful)
    do_seed_demo()
    latest = app.versions.all()[0]
    assert (app.versions.count(), latest.note) == (2, "demo: chat memory on")
    llm = next(n for n in latest.spec["nodes"] if n["type"] == "llm")
    assert llm["config"]["memory"]["enabled"] is True
    assert Workflow.objects.get(app=app).spec == latest.spec
    do_seed_demo()  # idempotent
    assert app.versions.count() == 2


def test_seed_demo_leaves_an_edited_demo_alone(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    do_seed_demo()
    app = App.objects.get(slug=DEMO_APP)
    edited = json.loads(json.dumps(app.versions.get().spec))
    for n in edited["nodes"]:
        if n["type"] == "llm":
            n["config"]["memory"]["enabled"] = False
            n["config"]["system_prompt"] = "Be brief."
    Workflow.objects.filter(app=app).update(spec=edited)
    do_seed_demo()
    assert app.versions.count() == 1
    assert Workflow.objects.get(app=app).spec == edited
