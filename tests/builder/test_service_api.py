"""The published Service API (Dify-compatible) on no-model apps: events, bodies, errors, logs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from builder.models import Message, NodeRun, Run, RunSource
from tests.builder.sse import parse_sse

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]
_server: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _live(live_url: str) -> None:
    """Every call goes over real HTTP to Weft's ASGI app (the lean /v1 handler included)."""
    _server["url"] = live_url


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _post(path: str, key: str | None, body: Any, **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with httpx.AsyncClient(base_url=_server["url"], timeout=60) as client:
        return await client.post(
            path,
            content=content,
            headers={"Content-Type": "application/json", **(_auth(key) if key else {}), **headers},
        )


@pytest.fixture
def chat_app(owner: Any, make_app: Any) -> Any:
    return make_app(owner, mode="chat", slug="echo-chat")


@pytest.fixture
def workflow_app(owner: Any, make_app: Any) -> Any:
    return make_app(owner, mode="workflow", slug="greeter")


async def test_chat_messages_streams_dify_events_in_order(chat_app: tuple[Any, str]) -> None:
    _, key = chat_app
    response = await _post(
        "/v1/chat-messages",
        key,
        {"query": "hi", "inputs": {}, "user": "u1", "response_mode": "streaming"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    events = parse_sse(response.content)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "workflow_started"
    assert kinds[-2:] == ["message_end", "workflow_finished"]
    assert kinds.count("node_started") == 3
    assert kinds.count("node_finished") == 3
    assert "".join(e["answer"] for e in events if e["event"] == "message") == "echo: hi"
    assert kinds.index("message") < kinds.index("message_end")
    finished = events[-1]["data"]
    assert finished["status"] == "succeeded"
    assert {e["conversation_id"] for e in events} == {events[0]["conversation_id"]}
    run = await Run.objects.aget(pk=events[0]["task_id"])
    assert (run.status, run.answer, run.source, run.end_user) == (
        "succeeded",
        "echo: hi",
        "api",
        "u1",
    )
    statuses = [n async for n in NodeRun.objects.filter(run=run).values_list("node_id", "status")]
    assert sorted(statuses) == [
        ("answer", "succeeded"),
        ("start", "succeeded"),
        ("tpl", "succeeded"),
    ]


async def test_chat_messages_blocking_keeps_conversation_memory(
    chat_app: tuple[Any, str],
) -> None:
    _, key = chat_app
    first = await _post(
        "/v1/chat-messages", key, {"query": "one", "user": "u1", "response_mode": "blocking"}
    )
    body = first.json()
    assert first.status_code == 200, body
    assert (body["event"], body["answer"]) == ("message", "echo: one")
    assert body["metadata"]["usage"]["total_tokens"] == 0
    second = await _post(
        "/v1/chat-messages",
        key,
        {
            "query": "two",
            "user": "u1",
            "response_mode": "blocking",
            "conversation_id": body["conversation_id"],
        },
    )
    assert second.json()["conversation_id"] == body["conversation_id"]
    queries = [
        q
        async for q in Message.objects.filter(conversation_id=body["conversation_id"]).values_list(
            "query", flat=True
        )
    ]
    assert queries == ["one", "two"]


async def test_chat_messages_unknown_conversation_is_404(chat_app: tuple[Any, str]) -> None:
    _, key = chat_app
    response = await _post(
        "/v1/chat-messages",
        key,
        {
            "query": "x",
            "response_mode": "blocking",
            "conversation_id": "00000000-0000-0000-0000-000000000000",
        },
    )
    assert response.status_code == 404
    assert response.json()["field"] == "conversation_id"


async def test_workflows_run_blocking_returns_outputs(workflow_app: tuple[Any, str]) -> None:
    _, key = workflow_app
    response = await _post(
        "/v1/workflows/run",
        key,
        {"inputs": {"name": "Ada"}, "user": "u2", "response_mode": "blocking"},
    )
    body = response.json()
    assert response.status_code == 200, body
    assert body["data"]["status"] == "succeeded"
    assert body["data"]["outputs"] == {"greeting": "Hello, Ada!"}
    assert body["task_id"] == body["workflow_run_id"] == body["data"]["id"]
    assert body["data"]["total_steps"] == 3


async def test_workflows_run_published_version_renders_env_vars(owner: Any, make_app: Any) -> None:
    from asgiref.sync import sync_to_async

    from tests.specs import echo_workflow_spec

    spec = echo_workflow_spec()
    spec["env"] = [{"name": "PUNCT", "type": "string", "value": "!!"}]
    spec["nodes"][1]["config"]["variables"].append(
        {"variable": "p", "value_selector": ["env", "PUNCT"]}
    )
    spec["nodes"][1]["config"]["template"] = "Hello, {{ n }}{{ p }}"
    _, key = await sync_to_async(make_app)(owner, spec=spec, slug="env-greeter")
    response = await _post(
        "/v1/workflows/run", key, {"inputs": {"name": "Ada"}, "response_mode": "blocking"}
    )
    assert response.json()["data"]["outputs"] == {"greeting": "Hello, Ada!!"}


async def test_workflows_run_streaming_ends_with_workflow_finished(
    workflow_app: tuple[Any, str],
) -> None:
    _, key = workflow_app
    response = await _post(
        "/v1/workflows/run", key, {"inputs": {"name": "Bo"}, "response_mode": "streaming"}
    )
    events = parse_sse(response.content)
    assert events[0]["event"] == "workflow_started"
    assert events[-1]["event"] == "workflow_finished"
    assert events[-1]["data"]["outputs"] == {"greeting": "Hello, Bo!"}


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({}, "inputs.name is required"),
        ({"name": "x" * 30}, "inputs.name is longer than 20 characters"),
        ({"name": 3}, "inputs.name must be text"),
    ],
)
async def test_workflows_run_bad_input_is_400_naming_the_field(
    workflow_app: tuple[Any, str],
    inputs: dict[str, Any],
    message: str,
) -> None:
    _, key = workflow_app
    before = await Run.objects.acount()
    response = await _post(
        "/v1/workflows/run", key, {"inputs": inputs, "response_mode": "blocking"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_param"
    assert (response.json()["field"], response.json()["message"]) == ("inputs.name", message)
    assert await Run.objects.acount() == before


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ({}, "unauthorized"),
        ({"Authorization": "Bearer app-nope"}, "invalid_api_key"),
        ({"Authorization": "Basic abc"}, "unauthorized"),
    ],
)
async def test_service_api_refuses_bad_keys(
    chat_app: tuple[Any, str], header: dict[str, str], code: str
) -> None:
    response = await _post("/v1/chat-messages", None, {"query": "x"}, **header)
    assert response.status_code == 401
    assert response.json()["code"] == code


async def test_service_api_refuses_revoked_key(chat_app: tuple[Any, str]) -> None:
    from asgiref.sync import sync_to_async

    from builder.keys import _hash, do_revoke_api_key
    from builder.models import ApiKey

    _, key = chat_app
    assert (
        await _post("/v1/chat-messages", key, {"query": "x", "response_mode": "blocking"})
    ).status_code == 200
    row = await ApiKey.objects.aget(key_hash=_hash(key))
    await sync_to_async(do_revoke_api_key)(row)
    response = await _post("/v1/chat-messages", key, {"query": "x", "response_mode": "blocking"})
    assert (response.status_code, response.json()["code"]) == (401, "revoked_api_key")


async def test_chat_endpoint_refuses_workflow_app(workflow_app: tuple[Any, str]) -> None:
    _, key = workflow_app
    response = await _post("/v1/chat-messages", key, {"query": "x"})
    assert (response.status_code, response.json()["code"]) == (400, "app_unavailable")


async def test_unpublished_app_is_unavailable(owner: Any, make_app: Any) -> None:
    from asgiref.sync import sync_to_async

    _, key = await sync_to_async(make_app)(owner, slug="draft-only", publish=False)
    response = await _post("/v1/chat-messages", key, {"query": "x"})
    assert (response.status_code, response.json()["code"]) == (400, "app_unavailable")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "query"),
        ({"query": 5}, "query"),
        ({"query": "x", "inputs": []}, "inputs"),
        ({"query": "x", "response_mode": "fast"}, "response_mode"),
    ],
)
async def test_chat_messages_bad_body_names_field(
    chat_app: tuple[Any, str], body: dict[str, Any], field: str
) -> None:
    _, key = chat_app
    response = await _post("/v1/chat-messages", key, body)
    assert response.status_code == 400
    assert response.json()["field"] == field


async def test_chat_messages_invalid_json_is_400(chat_app: tuple[Any, str]) -> None:
    _, key = chat_app
    response = await _post("/v1/chat-messages", key, b"{nope")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_param")


async def test_stop_endpoint_stops_a_running_run(
    owner: Any, make_app: Any, silent_model: None
) -> None:

    from asgiref.sync import sync_to_async

    from tests.builder.test_model_failures import _llm_spec

    _, key = await sync_to_async(make_app)(owner, spec=_llm_spec(), slug="hangs")
    _, other_key = await sync_to_async(make_app)(owner, slug="other")
    async with (
        httpx.AsyncClient(base_url=_server["url"], timeout=60) as client,
        client.stream(
            "POST", "/v1/chat-messages", json={"query": "x"}, headers=_auth(key)
        ) as response,
    ):
        lines = response.aiter_lines()
        first = json.loads((await anext(lines))[6:])
        task_id = first["task_id"]
        refused = await _post(f"/v1/chat-messages/{task_id}/stop", other_key, {"user": "u"})
        assert refused.status_code == 404
        stop = await _post(f"/v1/chat-messages/{task_id}/stop", key, {"user": "u"})
        assert (stop.status_code, stop.json()) == (200, {"result": "success"})
        rest = [json.loads(line[6:]) async for line in lines if line.startswith("data: ")]
    assert rest[-1]["event"] == "workflow_finished"
    assert rest[-1]["data"]["status"] == "stopped"
    run = await Run.objects.aget(pk=task_id)
    assert run.status == "stopped"


async def test_stop_reaches_a_run_in_another_process_through_the_channel_layer(
    owner: Any,
    make_app: Any,
    monkeypatch: pytest.MonkeyPatch,
    silent_model: None,
) -> None:
    from asgiref.sync import sync_to_async

    from builder.actions import runs
    from builder.actions.run_requests import RunRequest
    from builder.published import get_published
    from tests.builder.test_model_failures import _llm_spec

    app, _ = await sync_to_async(make_app)(owner, spec=_llm_spec(), slug="far")
    # one process here: make runs listen as they do when the layer spans processes (Redis)
    monkeypatch.setattr(runs, "cross_process_stop", lambda: True)
    pub = await sync_to_async(get_published)(app.pk)
    handle = await runs.do_start_run(
        RunRequest(
            app=pub.app,
            graph=pub.graph,
            version=pub.version,
            source=RunSource.API,
            inputs={},
            query="x",
        )
    )
    await asyncio.sleep(0.2)
    runs._active.pop(handle.run_id)  # as if the run lived in another process
    await runs.do_stop_run(handle.run_id)
    finished = await handle.wait()
    assert finished is not None
    assert finished.status == "stopped"


async def test_idle_stream_sends_pings(
    owner: Any, make_app: Any, settings: Any, silent_model: None
) -> None:

    from asgiref.sync import sync_to_async

    from tests.builder.test_model_failures import _llm_spec

    settings.WEFT_SSE_PING_S = 0.2  # Dify pings every 10 s; the same code path, sooner
    _, key = await sync_to_async(make_app)(owner, spec=_llm_spec(), slug="quiet")
    async with (
        httpx.AsyncClient(base_url=_server["url"], timeout=60) as client,
        client.stream(
            "POST", "/v1/chat-messages", json={"query": "x"}, headers=_auth(key)
        ) as response,
    ):
        pings = 0
        async for line in response.aiter_lines():
            pings += line == "event: ping"
            if pings == 3:
                break
    assert pings == 3


async def test_conversations_and_messages_list_a_users_history(chat_app: Any) -> None:
    _, key = chat_app
    first = (
        await _post(
            "/v1/chat-messages", key, {"query": "one", "user": "ann", "response_mode": "blocking"}
        )
    ).json()
    cid = first["conversation_id"]
    await _post(
        "/v1/chat-messages",
        key,
        {"query": "two", "user": "ann", "conversation_id": cid, "response_mode": "blocking"},
    )
    await _post(
        "/v1/chat-messages", key, {"query": "other", "user": "bob", "response_mode": "blocking"}
    )
    async with httpx.AsyncClient(base_url=_server["url"], headers=_auth(key)) as client:
        listed = (await client.get("/v1/conversations", params={"user": "ann"})).json()
        assert [c["id"] for c in listed["data"]] == [cid]
        page = (
            await client.get(
                "/v1/messages", params={"user": "ann", "conversation_id": cid, "limit": 1}
            )
        ).json()
        assert ([m["query"] for m in page["data"]], page["has_more"]) == (["two"], True)
        older = (
            await client.get(
                "/v1/messages",
                params={"user": "ann", "conversation_id": cid, "first_id": page["data"][0]["id"]},
            )
        ).json()
        assert [(m["query"], m["answer"]) for m in older["data"]] == [("one", "echo: one")]
        hidden = await client.get("/v1/messages", params={"user": "bob", "conversation_id": cid})
        assert hidden.status_code == 404
        bad = await client.get("/v1/conversations", params={"user": "ann", "limit": "0"})
        assert (bad.status_code, bad.json()["field"]) == (400, "limit")
        gone = await client.request("DELETE", f"/v1/conversations/{cid}", json={"user": "ann"})
        assert gone.json() == {"result": "success"}
        after = (await client.get("/v1/conversations", params={"user": "ann"})).json()
        assert after["data"] == []
    assert not await Message.objects.filter(conversation_id=cid).aexists()


def test_orphaned_runs_of_dead_processes_are_closed(owner: Any, make_app: Any) -> None:
    import socket
    import subprocess
    import sys

    from django.utils import timezone

    from builder.runlog import do_close_orphaned_runs
    from kernel.processes import this_process

    app, _ = make_app(owner, slug="orphans")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    host = socket.gethostname()
    runs = {
        name: Run.objects.create(app=app, source="api", started_at=timezone.now(), process=process)
        for name, process in [
            ("dead", f"{host}:{dead}"),
            ("alive", this_process()),
            ("elsewhere", f"other-host:{dead}"),
        ]
    }
    assert do_close_orphaned_runs() == 1
    statuses = {name: Run.objects.get(pk=run.pk) for name, run in runs.items()}
    assert (statuses["dead"].status, statuses["dead"].error_code) == ("failed", "RunInterrupted")
    assert statuses["dead"].finished_at is not None
    assert statuses["alive"].status == statuses["elsewhere"].status == "running"


async def test_workflows_run_streams_text_chunks_of_llm_output(
    owner: Any, make_app: Any, settings: Any
) -> None:
    from asgiref.sync import sync_to_async

    from builder.models import ModelProvider
    from runtime.llm.server import create_app
    from tests.fakes import FakeChatClient
    from tests.llm._http import serve

    spec = {
        "mode": "workflow",
        "nodes": [
            {"id": "start", "type": "start"},
            {
                "id": "llm",
                "type": "llm",
                "config": {"model": {"provider": "scripted", "name": "m"}, "prompt": "hi"},
            },
            {
                "id": "end",
                "type": "end",
                "config": {"outputs": [{"variable": "text", "value_selector": ["llm", "text"]}]},
            },
        ],
        "edges": [{"source": "start", "target": "llm"}, {"source": "llm", "target": "end"}],
    }
    model = FakeChatClient(script=[["Once ", "upon ", "a time"]], delay_s=0.01)
    settings.WEFT_OUTBOUND_ALLOW = ["127.0.0.1"]  # the outbound guard refuses loopback otherwise
    with serve(create_app(model, "m")) as url:
        await ModelProvider.objects.acreate(
            workspace=owner.workspace, name="scripted", kind="openai_compatible", base_url=url
        )
        _, key = await sync_to_async(make_app)(owner, spec=spec, slug="storyteller")
        response = await _post(
            "/v1/workflows/run", key, {"inputs": {}, "response_mode": "streaming"}
        )
    events = parse_sse(response.content)
    chunks = [e["data"]["text"] for e in events if e["event"] == "text_chunk"]
    assert chunks == ["Once ", "upon ", "a time"]
    assert events[-1]["data"]["outputs"] == {"text": "Once upon a time"}


async def test_chat_messages_refuses_another_users_conversation(chat_app: Any) -> None:
    """Finding 9: a conversation belongs to the `user` who started it, for writes as for reads."""
    _, key = chat_app
    first = await _post(
        "/v1/chat-messages", key, {"query": "secret", "user": "ann", "response_mode": "blocking"}
    )
    cid = first.json()["conversation_id"]
    intruder = await _post(
        "/v1/chat-messages",
        key,
        {
            "query": "what did I say?",
            "user": "bob",
            "conversation_id": cid,
            "response_mode": "blocking",
        },
    )
    assert (intruder.status_code, intruder.json()["field"]) == (404, "conversation_id")
    queries = [
        q async for q in Message.objects.filter(conversation_id=cid).values_list("query", flat=True)
    ]
    assert queries == ["secret"]
    again = await _post(
        "/v1/chat-messages",
        key,
        {"query": "more", "user": "ann", "conversation_id": cid, "response_mode": "blocking"},
    )
    assert again.status_code == 200
