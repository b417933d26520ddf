"""The model server over real HTTP: OpenAI's wire format, validation, errors, disconnects."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import openai
import pytest

from runtime.llm.openai_compat import OpenAICompatibleClient
from runtime.llm.protocol import follows_json_schema
from runtime.llm.server import create_app
from tests.llm._http import serve
from tests.llm.conftest import LOCAL, ScriptedModel, chat, collect


def test_server_non_stream_with_official_openai_client(scripted_url: str) -> None:
    client = openai.OpenAI(base_url=scripted_url, api_key="unused")
    answer = client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "one two"}]
    )
    assert answer.choices[0].message.content == "one two"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None
    assert (answer.usage.prompt_tokens, answer.usage.total_tokens) == (2, 4)


def test_server_stream_with_official_openai_client(scripted_url: str) -> None:
    client = openai.OpenAI(base_url=scripted_url, api_key="unused")
    chunks = list(
        client.chat.completions.create(
            model="echo",
            messages=[{"role": "user", "content": "a b c"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "a b c"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 3
    assert len({c.id for c in chunks}) == 1


def test_server_non_stream_tool_calls(scripted_url: str) -> None:
    client = openai.OpenAI(base_url=scripted_url, api_key="unused")
    answer = client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "tool please"}]
    )
    calls = answer.choices[0].message.tool_calls or []
    call = calls[0].model_dump()
    assert (call["id"], call["function"]["name"], call["function"]["arguments"]) == (
        "call_1",
        "lookup",
        '{"q": "x"}',
    )
    assert answer.choices[0].finish_reason == "tool_calls"


def test_server_stream_without_usage_option_sends_no_usage_chunk(scripted_url: str) -> None:
    body = {"model": "echo", "messages": [{"role": "user", "content": "x"}], "stream": True}
    response = httpx.post(f"{scripted_url}/chat/completions", json=body)
    events = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    assert all("usage" not in json.loads(e) for e in events[:-1])
    assert response.headers["content-type"].startswith("text/event-stream")


async def test_client_sends_response_format_and_server_passes_it_on(
    scripted: ScriptedModel, scripted_url: str
) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    client = OpenAICompatibleClient(scripted_url, policy=LOCAL)
    text, _ = await collect(client.stream(chat("hi there", model="echo", response_format=fmt)))
    await client.aclose()
    assert text == "hi there"
    assert scripted.requests[-1].response_format == fmt
    assert follows_json_schema(client)
    assert not follows_json_schema(scripted)  # a client that says nothing is taken not to


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"model": "echo"}, "messages"),
        ({"model": "echo", "messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        ({"model": "echo", "messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({"model": "echo", "messages": [{"role": "user"}], "temperature": "hot"}, "temperature"),
        ({"model": "echo", "messages": [{"role": "user"}], "max_tokens": 0}, "max_tokens"),
        ({"model": "echo", "messages": [{"role": "user"}], "stop": [1]}, "stop"),
        (
            {"model": "echo", "messages": [{"role": "user"}], "response_format": "json"},
            "response_format",
        ),
        (
            {"model": "echo", "messages": [{"role": "user"}], "response_format": {"type": "xml"}},
            "response_format.type",
        ),
        (
            {
                "model": "echo",
                "messages": [{"role": "user"}],
                "response_format": {"type": "json_schema"},
            },
            "response_format.json_schema",
        ),
    ],
)
def test_server_rejects_bad_field_with_400(
    scripted_url: str, body: dict[str, object], param: str
) -> None:
    response = httpx.post(f"{scripted_url}/chat/completions", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param
    assert error["message"].startswith(param)
    assert error["code"] == 400


def test_server_rejects_invalid_json(scripted_url: str) -> None:
    response = httpx.post(f"{scripted_url}/chat/completions", content=b"{oops")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]


def test_server_unknown_model_is_404(scripted_url: str) -> None:
    body = {"model": "gpt-9", "messages": [{"role": "user", "content": "x"}]}
    response = httpx.post(f"{scripted_url}/chat/completions", json=body)
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "NotFoundError"


def test_server_health_models_and_unknown_route(scripted_url: str) -> None:
    root = scripted_url.removesuffix("/v1")
    assert httpx.get(f"{root}/health").status_code == 200
    models = httpx.get(f"{scripted_url}/models").json()
    assert models["object"] == "list"
    assert [m["id"] for m in models["data"]] == ["echo"]
    assert httpx.get(f"{scripted_url}/nothing").status_code == 404
    assert httpx.get(f"{scripted_url}/chat/completions").status_code == 405


def test_server_adapters_need_model_support() -> None:
    class NoAdapters:
        stream = ScriptedModel.stream
        list_models = ScriptedModel.list_models
        adapters: list[str] = []

    with serve(create_app(NoAdapters(), "echo")) as url:
        body = {"lora_name": "a", "lora_path": "/x"}
        response = httpx.post(f"{url}/load_lora_adapter", json=body)
    assert response.status_code == 400
    assert "LoRA" in response.json()["error"]["message"]


async def test_server_client_disconnect_cancels_generation() -> None:
    model = ScriptedModel(delay_s=0.05)
    with serve(create_app(model, "echo")) as url:
        words = " ".join(f"w{i}" for i in range(200))
        body = {"model": "echo", "messages": [{"role": "user", "content": words}], "stream": True}
        async with (
            httpx.AsyncClient() as client,
            client.stream("POST", f"{url}/chat/completions", json=body) as response,
        ):
            async for line in response.aiter_lines():
                if "w3" in line:
                    break
        for _ in range(100):
            if model.cancelled:
                break
            await asyncio.sleep(0.02)
    assert model.cancelled == 1


def test_server_loads_adapters_only_from_inside_its_adapter_root(tmp_path: Path) -> None:
    from training.management.commands.serve_model import adapter_paths

    loaded: dict[str, str] = {}

    class Recorder(ScriptedModel):
        async def load_lora_adapter(self, name: str, path: str) -> None:
            loaded[name] = path

    root, outside = tmp_path / "adapters", tmp_path / "elsewhere"
    (root / "w1" / "job").mkdir(parents=True)
    outside.mkdir()
    asked = (str(outside), "/etc", "/no/such/folder", "../elsewhere", "w1/../../elsewhere")
    with serve(create_app(Recorder(), "echo", adapter_paths(root))) as url:
        refused = [
            httpx.post(f"{url}/load_lora_adapter", json={"lora_name": "x", "lora_path": p})
            for p in asked
        ]
        body = {"lora_name": "mine", "lora_path": str(root / "w1" / "job")}
        accepted = httpx.post(f"{url}/load_lora_adapter", json=body)
    with serve(create_app(Recorder(), "echo")) as url:
        body = {"lora_name": "any", "lora_path": str(root / "w1" / "job")}
        no_rule = httpx.post(f"{url}/load_lora_adapter", json=body)
    assert [r.status_code for r in refused] == [400] * len(asked)
    assert all(r.json() == refused[0].json() for r in refused)
    assert refused[0].json()["error"]["param"] == "lora_path"
    assert accepted.status_code == 200, accepted.text
    assert no_rule.status_code == 400
    assert loaded == {"mine": str((root / "w1" / "job").resolve())}
