"""The client suite against a real vLLM (set VLLM_BASE_URL, e.g. http://gpu-host:8000/v1)."""

from __future__ import annotations

import os

import pytest

from runtime.errors import LLMBadRequestError, ModelNotFoundError
from runtime.llm.protocol import Finish, Usage
from runtime.llm.vllm import VLLMClient
from tests.llm.conftest import chat, collect

BASE_URL = os.environ.get("VLLM_BASE_URL", "")
pytestmark = [
    pytest.mark.external,
    pytest.mark.skipif(not BASE_URL, reason="set VLLM_BASE_URL to test against a real vLLM"),
]


@pytest.fixture
async def client_and_model() -> tuple[VLLMClient, str]:
    client = VLLMClient(BASE_URL, api_key=os.environ.get("VLLM_API_KEY"), timeout=120)
    models = await client.list_models()
    base = next(m.id for m in models if m.parent is None)
    return client, base


async def test_vllm_streams_text_usage_and_finish(client_and_model: tuple[VLLMClient, str]) -> None:
    client, model = client_and_model
    text, chunks = await collect(
        client.stream(chat("Say hello.", model, temperature=0, max_tokens=16))
    )
    assert text
    assert isinstance(chunks[-2], Usage)
    assert isinstance(chunks[-1], Finish)


async def test_vllm_max_tokens_ends_with_length(client_and_model: tuple[VLLMClient, str]) -> None:
    client, model = client_and_model
    request = chat("Count to one hundred.", model, temperature=0, max_tokens=4)
    _, chunks = await collect(client.stream(request))
    assert chunks[-2] == Usage(chunks[-2].prompt_tokens, 4)  # type: ignore[union-attr]
    assert chunks[-1] == Finish("length")


async def test_vllm_unknown_model_raises(client_and_model: tuple[VLLMClient, str]) -> None:
    client, _ = client_and_model
    with pytest.raises((ModelNotFoundError, LLMBadRequestError)):
        await collect(client.stream(chat("hi", "no-such-model")))


async def test_vllm_bad_request_raises(client_and_model: tuple[VLLMClient, str]) -> None:
    client, model = client_and_model
    with pytest.raises(LLMBadRequestError):
        await collect(client.stream(chat("hi", model, temperature=-3.0)))
