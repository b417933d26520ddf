"""Fixtures for the model clients: a scripted model, the real embedded engine, live servers."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch: spinning threads collapse
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from runtime.llm.protocol import (
    ChatChunk,
    ChatMessage,
    ChatRequest,
    Finish,
    ModelInfo,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from runtime.outbound import OutboundPolicy
from tests.llm._http import serve

MODEL_ID = "smollm2-135m-instruct"
# The test servers listen on 127.0.0.1, which the outbound guard refuses unless allowed.
LOCAL = OutboundPolicy.from_entries(["127.0.0.1"])


@dataclass
class ScriptedModel:
    """Echoes the last message word by word; `tool` in the text makes it call a tool instead."""

    delay_s: float = 0.0
    adapters: list[str] = field(default_factory=list)
    requests: list[ChatRequest] = field(default_factory=list)
    cancelled: int = 0
    hold_until_open: int = 0  # streams wait (30 s at most) until this many are open at once
    open_now: int = 0
    most_open: int = 0
    _all_open: asyncio.Event = field(default_factory=asyncio.Event)

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """Yield the echo, then Usage and Finish."""
        self.requests.append(request)
        words = request.messages[-1].content.split()
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            if self.hold_until_open:
                if self.open_now >= self.hold_until_open:
                    self._all_open.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._all_open.wait(), 30)
            if "tool" in words:
                yield ToolCallDelta(0, id="call_1", name="lookup", arguments='{"q":')
                yield ToolCallDelta(0, arguments=' "x"}')
                yield Usage(len(words), 2)
                yield Finish("tool_calls")
                return
            for i, word in enumerate(words):
                await asyncio.sleep(self.delay_s)
                yield TextDelta(word if i == 0 else f" {word}")
            yield Usage(len(words), len(words))
            yield Finish("stop")
        except (GeneratorExit, asyncio.CancelledError):
            self.cancelled += 1
            raise
        finally:
            self.open_now -= 1

    async def list_models(self) -> list[ModelInfo]:
        """The base model and loaded adapters."""
        base = ModelInfo("echo-base")
        return [base, *(ModelInfo(a, parent="echo-base") for a in self.adapters)]

    async def load_lora_adapter(self, name: str, path: str) -> None:
        """Pretend to load an adapter."""
        self.adapters.append(name)

    async def unload_lora_adapter(self, name: str) -> None:
        """Pretend to unload an adapter."""
        self.adapters.remove(name)


def chat(text: str, model: str = MODEL_ID, **kwargs: object) -> ChatRequest:
    """A one-message request."""
    return ChatRequest(model=model, messages=(ChatMessage("user", text),), **kwargs)  # type: ignore[arg-type]


async def collect(chunks: AsyncIterator[ChatChunk]) -> tuple[str, list[ChatChunk]]:
    """The joined text and every chunk."""
    items = [c async for c in chunks]
    return "".join(c.text for c in items if isinstance(c, TextDelta)), items


@pytest.fixture
def scripted() -> ScriptedModel:
    """A fresh scripted model."""
    return ScriptedModel()


@pytest.fixture
def scripted_url(scripted: ScriptedModel) -> Iterator[str]:
    """The real model server serving the scripted model as `echo`."""
    from runtime.llm.server import create_app

    with serve(create_app(scripted, "echo", _under_adapters)) as url:
        yield url


def _under_adapters(requested: str) -> str:
    """The scripted server's adapter rule: folders under /adapters/ (it loads nothing for real)."""
    if not requested.startswith("/adapters/") or ".." in requested:
        raise ValueError(requested)
    return requested


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The converted SmolLM2 folder (cached in WEFT_MODEL_CACHE, default ~/.cache/weft/models)."""
    from runtime.llm.embedded import ensure_converted

    cache = Path(os.environ.get("WEFT_MODEL_CACHE") or Path.home() / ".cache/weft/models")
    models = tmp_path_factory.mktemp("models")
    return ensure_converted(models, progress=lambda *_: None, cache_dir=cache.expanduser())


@pytest.fixture(scope="session")
def engine(model_dir: Path) -> Iterator[object]:
    """One embedded engine for the whole session (loading takes seconds)."""
    from runtime.llm.embedded import EmbeddedEngine

    eng = EmbeddedEngine(model_dir, MODEL_ID)
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def engine_url(engine: object) -> Iterator[str]:
    """The real model server in front of the embedded engine, served as `smol`."""
    from runtime.llm.server import create_app

    with serve(create_app(engine, "smol")) as url:  # type: ignore[arg-type]
        yield url
