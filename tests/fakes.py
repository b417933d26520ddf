"""Test doubles: a scripted chat model and a resolver that hands it out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from runtime.errors import ModelNotFoundError
from runtime.llm.protocol import (
    ChatChunk,
    ChatModel,
    ChatRequest,
    Finish,
    ModelInfo,
    TextDelta,
    Usage,
)

Reply = Sequence[str] | str | BaseException


@dataclass
class FakeChatClient:
    """Streams scripted replies, one per call: pieces of text (or raises a scripted error)."""

    script: list[Reply]
    delay_s: float = 0.0
    requests: list[ChatRequest] = field(default_factory=list)

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """Yield the next reply as TextDelta pieces, then Usage and Finish."""
        self.requests.append(request)
        reply = self.script.pop(0) if self.script else ""
        if isinstance(reply, BaseException):
            raise reply
        pieces = [reply] if isinstance(reply, str) else list(reply)
        for piece in pieces:
            await asyncio.sleep(self.delay_s)
            yield TextDelta(piece)
        yield Usage(
            prompt_tokens=sum(len(m.content) for m in request.messages),
            completion_tokens=len(pieces),
        )
        yield Finish("stop")

    async def list_models(self) -> list[ModelInfo]:
        """One fake model."""
        return [ModelInfo("fake")]


@dataclass
class SchemaFollowingChatClient(FakeChatClient):
    """The scripted model, declaring (as OpenAI-compatible clients do) that it follows a JSON
    Schema: nodes send it `response_format`, which it records and, being scripted, ignores."""

    supports_json_schema = True


@dataclass
class FakeModels:
    """A ModelResolver over a dict of providers."""

    clients: dict[str, ChatModel] = field(default_factory=dict)

    def get(self, provider: str) -> ChatModel:
        """The client for `provider`."""
        try:
            return self.clients[provider]
        except KeyError:
            raise ModelNotFoundError(provider) from None
