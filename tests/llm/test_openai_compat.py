"""OpenAICompatibleClient against the real model server and against servers that misbehave."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from runtime.errors import (
    LLMAuthError,
    LLMBadRequestError,
    LLMBadResponseError,
    LLMRateLimitError,
    LLMUnavailableError,
    ModelNotFoundError,
    is_connection_refused,
)
from runtime.llm.openai_compat import OpenAICompatibleClient
from runtime.llm.protocol import Finish, ModelInfo, ToolCallDelta, Usage
from runtime.llm.server import create_app
from runtime.llm.vllm import VLLMClient
from tests.llm._http import FixedApp, free_port_url, serve, sse
from tests.llm.conftest import LOCAL, ScriptedModel, chat, collect


async def test_client_streams_text_usage_and_finish(scripted_url: str) -> None:
    client = OpenAICompatibleClient(scripted_url, policy=LOCAL)
    text, chunks = await collect(client.stream(chat("hello there world", model="echo")))
    assert text == "hello there world"
    assert chunks[-2:] == [Usage(3, 3), Finish("stop")]
    await client.aclose()


async def test_client_streams_tool_call_deltas(scripted_url: str) -> None:
    client = OpenAICompatibleClient(scripted_url, policy=LOCAL)
    _, chunks = await collect(client.stream(chat("use a tool", model="echo")))
    calls = [c for c in chunks if isinstance(c, ToolCallDelta)]
    assert calls[0].id == "call_1"
    assert calls[0].name == "lookup"
    assert "".join(c.arguments for c in calls) == '{"q": "x"}'
    assert chunks[-1] == Finish("tool_calls")


async def test_client_sends_sampling_settings(scripted: ScriptedModel, scripted_url: str) -> None:
    client = OpenAICompatibleClient(scripted_url, api_key="k", policy=LOCAL)
    request = chat("a b", model="echo", temperature=0.0, max_tokens=5, stop=("x",), seed=3)
    await collect(client.stream(request))
    seen = scripted.requests[-1]
    assert (seen.temperature, seen.max_tokens, seen.stop, seen.seed) == (0.0, 5, ("x",), 3)
    assert seen.model == "echo-base"  # the served name maps to the model's own id


async def test_client_lists_models_with_adapter_parent(
    scripted: ScriptedModel, scripted_url: str
) -> None:
    client = VLLMClient(scripted_url, policy=LOCAL)
    await client.load_lora_adapter("sql", "/adapters/sql")
    models = await client.list_models()
    assert [(m.id, m.parent) for m in models] == [("echo", None), ("sql", "echo")]
    await collect(client.stream(chat("hi", model="sql")))
    assert scripted.requests[-1].model == "sql"
    await client.unload_lora_adapter("sql")
    assert [m.id for m in await client.list_models()] == ["echo"]
    assert isinstance(models[0], ModelInfo)


async def test_client_unknown_model_raises_model_not_found(scripted_url: str) -> None:
    client = OpenAICompatibleClient(scripted_url, policy=LOCAL)
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        await collect(client.stream(chat("hi", model="nope")))


async def test_client_server_down_raises_unavailable() -> None:
    client = OpenAICompatibleClient(free_port_url(), max_retries=1, backoff_s=0.01, policy=LOCAL)
    with pytest.raises(LLMUnavailableError, match="cannot reach"):
        await collect(client.stream(chat("hi")))


async def test_client_server_down_keeps_the_connect_error_as_cause() -> None:
    client = OpenAICompatibleClient(free_port_url(), max_retries=0, policy=LOCAL)
    with pytest.raises(LLMUnavailableError) as raised:
        await client.list_models()
    assert is_connection_refused(raised.value)
    assert isinstance(raised.value.__cause__, httpx.ConnectError)


async def test_client_shows_vllm_api_key_refusal() -> None:
    app = FixedApp((401, {"error": "Unauthorized"}, "application/json"))  # vllm serve --api-key
    with serve(app) as url:
        client = OpenAICompatibleClient(url, api_key="wrong", max_retries=0, policy=LOCAL)
        with pytest.raises(LLMAuthError, match="answered 401: Unauthorized"):
            await client.list_models()


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, LLMUnavailableError),
        (503, LLMUnavailableError),
        (429, LLMRateLimitError),
        (401, LLMAuthError),
        (403, LLMAuthError),
        (400, LLMBadRequestError),
        (422, LLMBadRequestError),
    ],
)
async def test_client_maps_status_to_typed_error(status: int, error: type[Exception]) -> None:
    app = FixedApp((status, {"error": {"message": "nope", "code": status}}, "application/json"))
    with serve(app) as url:
        client = OpenAICompatibleClient(url, max_retries=1, backoff_s=0.01, policy=LOCAL)
        with pytest.raises(error, match="nope"):
            await collect(client.stream(chat("hi")))
    assert app.hits == (2 if status in (429, 500, 503) else 1)


async def test_client_retries_5xx_then_succeeds() -> None:
    done = sse({"choices": [{"delta": {"content": "ok"}, "finish_reason": "stop"}]})
    app = FixedApp((502, "bad gateway", "text/plain"), (200, done, "text/event-stream"))
    with serve(app) as url:
        client = OpenAICompatibleClient(url, max_retries=2, backoff_s=0.01, policy=LOCAL)
        text, chunks = await collect(client.stream(chat("hi")))
    assert (text, chunks[-1], app.hits) == ("ok", Finish("stop"), 2)


@pytest.mark.parametrize(
    "body",
    [
        "data: {not json\n\n",
        "hello, I am not an event stream",
        sse({"choices": [{"delta": {"content": "cut off"}}]}),  # no finish_reason
        sse({"choices": [], "usage": {"prompt_tokens": "x"}}),
    ],
)
async def test_client_garbage_raises_bad_response(body: str) -> None:
    with serve(FixedApp((200, body, "text/event-stream"))) as url:
        client = OpenAICompatibleClient(url, max_retries=0, policy=LOCAL)
        with pytest.raises(LLMBadResponseError):
            await collect(client.stream(chat("hi")))


async def test_client_error_event_mid_stream_raises_typed_error() -> None:
    body = sse(
        {"choices": [{"delta": {"content": "a"}}]}, {"error": {"message": "boom", "code": 503}}
    )
    with serve(FixedApp((200, body, "text/event-stream"))) as url:
        client = OpenAICompatibleClient(url, max_retries=0, policy=LOCAL)
        with pytest.raises(LLMUnavailableError, match="boom"):
            await collect(client.stream(chat("hi")))


async def test_client_accepts_non_streamed_json_answer() -> None:
    completion = {
        "choices": [{"message": {"content": "whole"}, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 2, "completion_tokens": 1},
    }
    with serve(FixedApp((200, completion, "application/json"))) as url:
        text, chunks = await collect(OpenAICompatibleClient(url, policy=LOCAL).stream(chat("hi")))
    assert (text, chunks[-2:]) == ("whole", [Usage(2, 1), Finish("length")])


async def test_client_times_out_as_unavailable() -> None:
    app = FixedApp((200, sse(), "text/event-stream"))
    app.delay_s = 3.0
    with serve(app) as url:
        client = OpenAICompatibleClient(url, timeout=0.3, max_retries=2, policy=LOCAL)
        with pytest.raises(LLMUnavailableError, match="timed out"):
            await collect(client.stream(chat("hi")))
    assert app.hits == 1  # a read timeout is not retried


async def test_client_handles_64_concurrent_streams(scripted: ScriptedModel) -> None:
    scripted.hold_until_open = 64  # every stream stays open until all 64 are
    with serve(create_app(scripted, "echo")) as url:
        client = OpenAICompatibleClient(url, policy=LOCAL)
        requests = [chat(f"n {i} x", model="echo") for i in range(64)]
        results = await asyncio.gather(*(collect(client.stream(r)) for r in requests))
        await client.aclose()
    assert [text for text, _ in results] == [f"n {i} x" for i in range(64)]
    assert scripted.most_open == 64  # concurrent, not queued behind a small pool
