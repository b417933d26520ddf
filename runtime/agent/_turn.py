"""One model turn collected from its stream: text pieces, tool calls assembled from their
deltas (OpenAI/vLLM send a call's id and name first, then its arguments in pieces), usage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from runtime.llm.protocol import ChatChunk, Finish, TextDelta, ToolCall, ToolCallDelta, Usage


@dataclass
class Turn:
    """What the model sent in one turn."""

    pieces: list[str] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    usage: Usage | None = None
    finish: str = "stop"

    @property
    def text(self) -> str:
        """The turn's text."""
        return "".join(self.pieces)


@dataclass
class _Call:
    id: str | None = None
    name: str = ""
    arguments: list[str] = field(default_factory=list)


async def collect_turn(chunks: AsyncIterator[ChatChunk], step: int) -> Turn:
    """The turn `chunks` stream; a call the server sent without an id gets one from its step
    and index, so its result can still be matched to it."""
    turn = Turn()
    calls: dict[int, _Call] = {}
    async for chunk in chunks:
        if isinstance(chunk, TextDelta):
            turn.pieces.append(chunk.text)
        elif isinstance(chunk, ToolCallDelta):
            call = calls.setdefault(chunk.index, _Call())
            call.id = call.id or chunk.id
            call.name += chunk.name or ""
            call.arguments.append(chunk.arguments)
        elif isinstance(chunk, Usage):
            turn.usage = chunk
        elif isinstance(chunk, Finish):
            turn.finish = chunk.reason
    turn.calls = [
        ToolCall(c.id or f"call_{step}_{i}", c.name, "".join(c.arguments))
        for i, c in sorted(calls.items())
    ]
    return turn
