"""The embedded engine with the real SmolLM2 model: determinism, batching, limits, cancellation."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest

from runtime.errors import LLMBadRequestError, LLMUnavailableError, ModelNotFoundError
from runtime.llm.embedded import EmbeddedEngine
from runtime.llm.openai_compat import OpenAICompatibleClient
from runtime.llm.protocol import ChatModel, Finish, TextDelta, Usage
from tests.llm.conftest import LOCAL, MODEL_ID, chat, collect

PROMPTS = (
    "What is the capital of France?",
    "Write a haiku about the sea.",
    "Count from one to ten.",
    "Explain gravity to a child in two sentences.",
)


async def test_engine_is_a_chat_model_listing_its_model(engine: EmbeddedEngine) -> None:
    assert isinstance(engine, ChatModel)
    assert [m.id for m in await engine.list_models()] == [MODEL_ID]


async def test_engine_greedy_is_deterministic(engine: EmbeddedEngine) -> None:
    first, chunks = await collect(engine.stream(chat(PROMPTS[0], temperature=0, max_tokens=12)))
    second, _ = await collect(engine.stream(chat(PROMPTS[0], temperature=0, max_tokens=12)))
    assert first == second
    assert "Paris" in first
    usage = next(c for c in chunks if isinstance(c, Usage))
    assert usage.prompt_tokens > 10
    assert 0 < usage.completion_tokens <= 12


async def test_engine_concurrent_requests_match_solo_runs(engine: EmbeddedEngine) -> None:
    def request(i: int) -> object:
        return chat(
            PROMPTS[i], temperature=0, max_tokens=6 + 3 * i
        )  # rows leave at different steps

    solo = [(await collect(engine.stream(request(i))))[0] for i in range(4)]  # type: ignore[arg-type]
    together = await asyncio.gather(*(collect(engine.stream(request(i))) for i in range(4)))  # type: ignore[arg-type]
    assert [text for text, _ in together] == solo
    assert len(set(solo)) == 4


async def test_engine_late_joiner_matches_solo_run(engine: EmbeddedEngine) -> None:
    long_req = chat(PROMPTS[2], temperature=0, max_tokens=16)
    late_req = chat(PROMPTS[1], temperature=0, max_tokens=8)
    solo_late, _ = await collect(engine.stream(late_req))
    solo_long, _ = await collect(engine.stream(long_req))
    chunks = engine.stream(long_req)
    head = [await anext(chunks) for _ in range(3)]  # the long one is mid-decode
    late, _ = await collect(engine.stream(late_req))
    rest, tail = await collect(chunks)
    assert late == solo_late
    assert "".join(c.text for c in head if isinstance(c, TextDelta)) + rest == solo_long
    assert tail[-1] == Finish("length")


async def test_engine_max_tokens_ends_with_length(engine: EmbeddedEngine) -> None:
    _, chunks = await collect(engine.stream(chat(PROMPTS[2], temperature=0, max_tokens=5)))
    assert chunks[-2].completion_tokens == 5  # type: ignore[union-attr]
    assert chunks[-1] == Finish("length")


async def test_engine_stop_string_cuts_text(engine: EmbeddedEngine) -> None:
    full, _ = await collect(engine.stream(chat(PROMPTS[2], temperature=0, max_tokens=16)))
    assert "3" in full
    text, chunks = await collect(
        engine.stream(chat(PROMPTS[2], temperature=0, max_tokens=16, stop=("3",)))
    )
    assert text == full[: full.index("3")]
    assert chunks[-1] == Finish("stop")


async def test_engine_seeded_sampling_is_reproducible(engine: EmbeddedEngine) -> None:
    def req(seed: int) -> object:
        return chat(PROMPTS[1], temperature=1.0, top_p=0.9, seed=seed, max_tokens=10)

    a, _ = await collect(engine.stream(req(7)))  # type: ignore[arg-type]
    b, _ = await collect(engine.stream(req(7)))  # type: ignore[arg-type]
    assert a == b


async def test_engine_cancelled_consumer_frees_its_row(engine: EmbeddedEngine) -> None:
    chunks = engine.stream(chat(PROMPTS[3], temperature=0, max_tokens=400))
    await anext(chunks)
    await chunks.aclose()  # type: ignore[attr-defined]
    text, _ = await asyncio.wait_for(
        collect(engine.stream(chat(PROMPTS[0], temperature=0, max_tokens=6))), timeout=60
    )
    assert text
    for _ in range(200):  # the worker drops finished rows right after their last chunk
        if not engine._batcher._batch.seqs:
            break
        await asyncio.sleep(0.05)
    assert engine._batcher._batch.seqs == []


async def test_engine_serves_its_base_model_when_no_name_is_given(engine: EmbeddedEngine) -> None:
    text, _ = await collect(engine.stream(chat("Say hi.", model="", temperature=0, max_tokens=3)))
    assert text


async def test_engine_rejects_unknown_model_and_bad_limits(engine: EmbeddedEngine) -> None:
    with pytest.raises(ModelNotFoundError, match="not served"):
        await collect(engine.stream(chat("hi", model="other")))
    with pytest.raises(LLMBadRequestError, match="max_tokens"):
        await collect(engine.stream(chat("hi", max_tokens=0)))


async def test_engine_adapter_errors_are_clear(engine: EmbeddedEngine, tmp_path: Path) -> None:
    reason = (
        "adapter_config.json"
        if importlib.util.find_spec("peft")
        else "need the optional package peft"
    )
    with pytest.raises(ModelNotFoundError, match=reason):
        await engine.load_adapter("mine", tmp_path)
    with pytest.raises(ModelNotFoundError, match="not loaded"):
        await engine.unload_adapter("mine")


async def test_engine_served_over_http_matches_direct(
    engine: EmbeddedEngine, engine_url: str
) -> None:
    client = OpenAICompatibleClient(engine_url, policy=LOCAL)
    request = chat(PROMPTS[0], model="smol", temperature=0, max_tokens=10)
    direct, _ = await collect(engine.stream(chat(PROMPTS[0], temperature=0, max_tokens=10)))
    remote, chunks = await collect(client.stream(request))
    assert remote == direct
    assert isinstance(chunks[-2], Usage)
    models = await client.list_models()
    assert models[0].id == "smol"
    await client.aclose()


async def test_engine_streams_whole_characters(engine: EmbeddedEngine) -> None:
    request = chat("Reply with five emoji and the word café.", temperature=0, max_tokens=16)
    text, chunks = await collect(engine.stream(request))
    deltas = [c.text for c in chunks if isinstance(c, TextDelta)]
    assert text
    assert not any("\ufffd" in d for d in deltas)


async def test_engine_closed_refuses_requests(model_dir: Path) -> None:
    engine = EmbeddedEngine(model_dir, MODEL_ID)
    engine.close()
    with pytest.raises(LLMUnavailableError, match="closed"):
        await collect(engine.stream(chat("hi", max_tokens=2)))
