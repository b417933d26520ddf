"""What the classifier and the extractor share: one model call whose whole answer they read,
the JSON object in an answer, and the trace metadata of the call."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from runtime.llm.protocol import (
    ChatMessage,
    ChatModel,
    ChatRequest,
    TextDelta,
    Usage,
    follows_json_schema,
)
from runtime.nodes.base import NodeContext
from runtime.resources import MODELS


def client_of(ctx: NodeContext, provider: str) -> tuple[ChatModel, bool]:
    """The provider's chat model client, and whether it follows a JSON Schema (then the node
    sends `response_format`; else its prompt describes the JSON and the answer is parsed)."""
    client = ctx.get(MODELS).get(provider)
    return client, follows_json_schema(client)


async def ask(client: ChatModel, request: ChatRequest) -> tuple[str, Usage | None]:
    """The model's whole answer to `request` and its usage."""
    parts: list[str] = []
    usage: Usage | None = None
    async for chunk in client.stream(request):
        if isinstance(chunk, TextDelta):
            parts.append(chunk.text)
        elif isinstance(chunk, Usage):
            usage = chunk
    return "".join(parts), usage


def usage_json(usage: Usage | None) -> dict[str, int]:
    """A node's `usage` output: prompt, completion and total tokens (zeros when not reported)."""
    used = asdict(usage) if usage else {"prompt_tokens": 0, "completion_tokens": 0}
    used["total_tokens"] = used["prompt_tokens"] + used["completion_tokens"]
    return used


def trace(messages: tuple[ChatMessage, ...], answer: str, structured: bool) -> dict[str, Any]:
    """The node's metadata: what the model was sent, what it answered, and whether it was held
    to a JSON Schema (`response_format`) or asked in the prompt alone."""
    sent = [{"role": m.role, "content": m.content} for m in messages]
    return {
        "prompt": {"messages": sent, "from_memory": 0},
        "answer": answer,
        "structured": structured,
    }


def first_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in `text`: the whole answer, or one inside prose or a ```json
    fence (small models wrap it); None when there is none."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            value = None
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    return None
