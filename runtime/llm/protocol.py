"""The one protocol every model client speaks: stream chat deltas (text, tool calls, usage)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as OpenAI sends it


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChatRequest:
    model: str
    messages: tuple[ChatMessage, ...]
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    tools: tuple[dict[str, Any], ...] = ()  # OpenAI function-tool JSON
    seed: int | None = None
    # OpenAI's `response_format` JSON ({"type": "json_schema", "json_schema": {...}}); sent only
    # to a client that `follows_json_schema`, others get the schema in the prompt instead
    response_format: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A piece of a tool call; pieces with the same index concatenate (OpenAI streaming)."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class Finish:
    reason: str  # "stop", "length", "tool_calls"


ChatChunk = TextDelta | ToolCallDelta | Usage | Finish


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    owned_by: str = "weft"
    parent: str | None = None  # set for LoRA adapters: the base model id
    extra: dict[str, Any] = field(default_factory=dict)


def calls_tools(model: object) -> bool:
    """Whether a chat model client returns OpenAI tool calls when a request offers `tools`.

    A client declares it with a class attribute `supports_tools = True` (OpenAI-compatible
    servers: vLLM started with `--enable-auto-tool-choice`, OpenAI); the embedded engine does
    not parse tool calls out of its text, and a client that says nothing is taken not to, so an
    agent on it runs a ReAct prompt loop instead.
    """
    return getattr(model, "supports_tools", False) is True


@runtime_checkable
class ChatModel(Protocol):
    """A chat model client. `stream` raises `runtime.errors.LLMError` subclasses on failure."""

    def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """Stream the answer to `request` as chunks; ends with `Usage` and `Finish`."""
        ...

    async def list_models(self) -> list[ModelInfo]:
        """The models (and adapters) this client can serve."""
        ...


def follows_json_schema(model: object) -> bool:
    """Whether a chat model client constrains its answer to `response_format`'s JSON Schema.

    A client declares it with a class attribute `supports_json_schema = True` (OpenAI-compatible
    servers: vLLM and OpenAI do); the embedded engine does not, and a client that says nothing
    is taken not to, so its callers describe the JSON in the prompt and parse the answer.
    """
    return getattr(model, "supports_json_schema", False) is True


class ModelResolver(Protocol):
    """Hands a node the client for a provider name (the builder backs this with DB rows)."""

    def get(self, provider: str) -> ChatModel:
        """The client for `provider`; raises `ModelNotFoundError` when there is none."""
        ...
