"""Each published app as an MCP server, called by the official `mcp` client over real HTTP
(uvicorn serving Weft's ASGI app): its tool, its runs, and the callers it refuses."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from asgiref.sync import sync_to_async
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from builder.actions.workflows import do_create_app, do_publish_workflow
from builder.asgi_mcp import mcp_url
from builder.keys import do_create_api_key
from builder.mcp_tool import RUN_ID_META
from builder.models import App, ModelProvider, Run
from tests.specs import echo_workflow_spec, human_input_spec, topic_workflow_spec

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


@asynccontextmanager
async def connect(url: str, key: str | None, mode: str = "auto") -> AsyncIterator[Client]:
    """The official client on `url`, sending `key` as the bearer token."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(120))
    async with http, Client(streamable_http_client(url, http_client=http), mode=mode) as client:
        yield client


def _mcp_error(exc: BaseException) -> MCPError | None:
    """The MCPError in `exc` (the client raises it inside nested task-group exception groups)."""
    if isinstance(exc, MCPError):
        return exc
    inner = exc.exceptions if isinstance(exc, BaseExceptionGroup) else ()
    return next((e for e in map(_mcp_error, inner) if e is not None), None)


async def refusal(url: str, key: str | None) -> str:
    """The error message the official client gets when it connects and lists the tools."""
    try:
        async with connect(url, key) as client:
            await client.list_tools()
    except BaseException as exc:  # an exception group around the MCPError
        error = _mcp_error(exc)
        if error is None:
            raise
        return error.error.message
    raise AssertionError("the server did not refuse the client")


def _mcp_app(owner: Any, spec: dict[str, Any], slug: str, description: str = "") -> str:
    app = do_create_app(
        owner.workspace, owner.user, slug, spec["mode"], slug=slug, spec=spec,
        description=description,
    )  # fmt: skip
    do_publish_workflow(app, owner.user)
    App.objects.filter(pk=app.pk).update(mcp_enabled=True)
    return do_create_api_key(app, "mcp", owner.user)[1]


@pytest.fixture
async def topic(owner: Any) -> str:
    """A published workflow app with one input of each type, MCP on; its key."""
    return await sync_to_async(_mcp_app)(owner, topic_workflow_spec(), "topics", "Joins a topic.")


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_mcp_list_tools_shows_the_app_with_its_inputs(
    live_url: str, topic: str, mode: str
) -> None:
    async with connect(mcp_url(live_url, "topics"), topic, mode) as client:
        tools = (await client.list_tools()).tools
    assert [t.name for t in tools] == ["topics"]
    assert tools[0].description == "Joins a topic."
    schema = tools[0].input_schema
    props = schema["properties"]
    assert {n: p["type"] for n, p in props.items()} == {
        "topic": "string",
        "count": "number",
        "tone": "string",
        "formal": "boolean",
        "mood": "string",
    }
    assert props["tone"]["enum"] == ["warm", "dry"]
    assert props["topic"]["maxLength"] == 40
    assert props["mood"]["default"] == "it's sunny"
    assert sorted(schema["required"]) == ["count", "formal", "tone", "topic"]


async def test_mcp_call_runs_the_published_workflow(live_url: str, topic: str) -> None:
    args = {"topic": "tea", "count": 2, "tone": "dry", "formal": False}
    async with connect(mcp_url(live_url, "topics"), topic) as client:
        result = await client.call_tool("topics", args)
    assert not result.is_error, result
    assert result.structured_content == {"line": "tea|2|dry|False|it's sunny"}
    assert '"line": "tea|2|dry|False|it\'s sunny"' in result.content[0].text  # type: ignore[union-attr]  # TextContent
    run = await Run.objects.aget(pk=result.meta[RUN_ID_META])  # type: ignore[index]  # set by the server
    assert (run.source, run.status, run.inputs["topic"]) == ("mcp", "succeeded", "tea")


async def test_mcp_run_is_listed_with_source_mcp(
    live_url: str, topic: str, owner: Any, client_for: Any
) -> None:
    async with connect(mcp_url(live_url, "topics"), topic) as client:
        result = await client.call_tool("topics", {"topic": "t", "count": 1, "tone": "warm",
                                                   "formal": True})  # fmt: skip
    app = await App.objects.aget(slug="topics")
    rows = await sync_to_async(lambda: client_for(owner).get(f"/api/apps/{app.pk}/runs").json())()
    assert [(r["id"], r["source"]) for r in rows] == [(result.meta[RUN_ID_META], "mcp")]  # type: ignore[index]  # set by the server


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ({"count": 1, "tone": "dry", "formal": True}, "argument 'topic' is required"),
        (
            {"topic": "t", "count": "many", "tone": "dry", "formal": True},
            "argument 'count' is wrong: 'many' is not of type 'number'",
        ),
        (
            {"topic": "t", "count": 1, "tone": "loud", "formal": True},
            "argument 'tone' is wrong: 'loud' is not one of ['warm', 'dry']",
        ),
        (
            {"topic": "t", "count": 1, "tone": "dry", "formal": True, "x": 1},
            "argument 'x' is unknown (it takes: count, formal, mood, tone, topic)",
        ),
    ],
)
async def test_mcp_wrong_argument_is_a_tool_error_naming_it(
    live_url: str, topic: str, args: dict[str, Any], named: str
) -> None:
    async with connect(mcp_url(live_url, "topics"), topic) as client:
        result = await client.call_tool("topics", args)
    assert result.is_error
    assert named in result.content[0].text  # type: ignore[union-attr]  # TextContent
    assert not await Run.objects.filter(source="mcp").aexists()  # refused before any run


async def test_mcp_failed_run_is_a_tool_error_in_words(
    live_url: str, owner: Any, settings: Any
) -> None:
    settings.WEFT_OUTBOUND_ALLOW = ["127.0.0.1"]  # the model server is local (and down)
    spec = {
        "mode": "chat",
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "llm", "type": "llm",
             "config": {"model": {"provider": "down", "name": "m"}, "prompt": "{{#sys.query#}}"}},
            {"id": "answer", "type": "answer", "config": {"answer": "{{#llm.text#}}"}},
        ],
        "edges": [{"source": "start", "target": "llm"}, {"source": "llm", "target": "answer"}],
    }  # fmt: skip
    await ModelProvider.objects.acreate(
        workspace=owner.workspace, name="down", kind="openai_compatible", base_url=_closed_port()
    )
    key = await sync_to_async(_mcp_app)(owner, spec, "fragile")
    async with connect(mcp_url(live_url, "fragile"), key) as client:
        result = await client.call_tool("fragile", {"query": "hi"})
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]  # TextContent
    assert text.startswith("the run failed (node llm): "), text
    run = await Run.objects.aget(source="mcp")
    assert (run.status, run.error_code) == ("failed", "LLMUnavailableError")


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


async def test_mcp_chat_app_answers_on_the_embedded_model(live_url: str, owner: Any) -> None:
    def chat_app() -> str:
        app = do_create_app(owner.workspace, owner.user, "Helper", "chat", slug="helper")
        do_publish_workflow(app, owner.user)
        App.objects.filter(pk=app.pk).update(mcp_enabled=True)
        return do_create_api_key(app, "mcp", owner.user)[1]

    key = await sync_to_async(chat_app)()
    async with connect(mcp_url(live_url, "helper"), key) as client:
        tool = (await client.list_tools()).tools[0]
        assert tool.input_schema["required"] == ["query"]
        assert "conversation_id" in tool.input_schema["properties"]
        first = await client.call_tool("helper", {"query": "Say hello."})
        assert not first.is_error, first
        answer = first.content[0].text  # type: ignore[union-attr]  # TextContent
        assert answer.strip()
        assert first.structured_content is not None
        assert first.structured_content["answer"] == answer
        conversation = first.structured_content["conversation_id"]
        second = await client.call_tool(
            "helper", {"query": "And again?", "conversation_id": conversation}
        )
        assert second.structured_content is not None
        assert second.structured_content["conversation_id"] == conversation
        lost = await client.call_tool("helper", {"query": "x", "conversation_id": "nope"})
        assert lost.is_error
        assert "conversation_id: conversation not found" in lost.content[0].text  # type: ignore[union-attr]  # TextContent
    runs = [r async for r in Run.objects.filter(app__slug="helper").order_by("started_at")]
    assert [(r.source, r.status) for r in runs] == [("mcp", "succeeded")] * 2
    assert runs[0].answer == answer


@pytest.mark.parametrize("key", [None, "app-not-a-key"])
async def test_mcp_without_a_valid_key_is_401(live_url: str, topic: str, key: str | None) -> None:
    async with httpx2.AsyncClient() as http:
        response = await http.post(
            mcp_url(live_url, "topics"),
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Authorization": f"Bearer {key}"} if key else {},
        )
    assert response.status_code == 401
    assert "key" in response.json()["error"]["message"]
    assert "key" in await refusal(mcp_url(live_url, "topics"), key)


async def test_mcp_switched_off_is_404_in_words(live_url: str, topic: str) -> None:
    await App.objects.filter(slug="topics").aupdate(mcp_enabled=False)
    assert "is not served over MCP" in await refusal(mcp_url(live_url, "topics"), topic)
    async with httpx2.AsyncClient() as http:
        response = await http.post(
            mcp_url(live_url, "topics"),
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Authorization": f"Bearer {topic}"},
        )
    assert response.status_code == 404
    assert response.json()["error"]["data"]["code"] == "mcp_disabled"


async def test_mcp_key_of_another_app_is_404(live_url: str, topic: str, owner: Any) -> None:
    other = await sync_to_async(_mcp_app)(owner, echo_workflow_spec(), "greeter")
    message = await refusal(mcp_url(live_url, "topics"), other)
    assert message == "this API key has no MCP server at this URL"


async def test_mcp_switch_is_an_editors_and_takes_effect_at_once(
    live_url: str, topic: str, owner: Any, make_member: Any, client_for: Any
) -> None:
    app = await App.objects.aget(slug="topics")
    url = mcp_url(live_url, "topics")

    def patch(member: Any, on: bool) -> Any:
        body = {"mcp_enabled": on}
        client = client_for(member)
        return client.patch(f"/api/apps/{app.pk}", body, content_type="application/json")

    async with connect(url, topic) as client:  # served now, and cached as served
        assert [t.name for t in (await client.list_tools()).tools] == ["topics"]
    viewer = await sync_to_async(make_member)("viewer", owner.workspace)
    assert (await sync_to_async(patch)(viewer, False)).status_code == 403
    off = await sync_to_async(patch)(owner, False)
    assert (off.status_code, off.json()["mcp_enabled"]) == (200, False)
    assert "is not served over MCP" in await refusal(url, topic)
    assert (await sync_to_async(patch)(owner, True)).json()["mcp_enabled"] is True
    async with connect(url, topic) as client:
        assert [t.name for t in (await client.list_tools()).tools] == ["topics"]


async def test_mcp_run_that_waits_for_a_person_says_where_to_answer(
    live_url: str, owner: Any
) -> None:
    key = await sync_to_async(_mcp_app)(owner, human_input_spec(), "asker")
    async with connect(mcp_url(live_url, "asker"), key) as client:
        result = await client.call_tool("asker", {"topic": "tea"})
    run = await Run.objects.aget(source="mcp")
    assert (result.is_error, run.status) == (True, "waiting")
    text = result.content[0].text  # type: ignore[union-attr]  # TextContent
    assert f"the run {run.pk} is waiting for a person's answer" in text
    assert f"/v1/workflows/runs/{run.pk}/resume" in text
