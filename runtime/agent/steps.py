"""What an agent loop yields as it works: thoughts, tool calls, tool results, the answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from runtime.llm.protocol import Usage

Strategy = Literal["function_calling", "react"]


@dataclass(frozen=True, slots=True)
class AgentSettings:
    """How one agent run may work: its model, step limit and tool bounds."""

    model: str
    max_steps: int = 5  # model turns, each followed by the tool calls it asked for
    temperature: float | None = None
    max_tokens: int | None = None
    tool_timeout_s: float = 30.0  # one tool call; a slower one is an error result for the model
    max_unknown_calls: int = 3  # calls to tools not offered before the run fails
    result_chars: int = 8000  # of a tool's result given to the model (the rest is cut)


@dataclass(frozen=True, slots=True)
class Thought:
    """What the model said before it called tools (its reasoning for step `step`)."""

    step: int
    text: str


@dataclass(frozen=True, slots=True)
class ToolCalled:
    """The model asked for a tool call; `arguments` is the JSON text it sent."""

    step: int
    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A tool call's result as the model gets it (`ok` False: an error the model reads)."""

    step: int
    call_id: str
    name: str
    ok: bool
    text: str


@dataclass(frozen=True, slots=True)
class AnswerDelta:
    """A piece of the final answer, as it streams."""

    text: str


@dataclass(frozen=True, slots=True)
class Finished:
    """The final answer (the AnswerDelta pieces joined), the steps used and the tokens."""

    answer: str
    steps: int
    strategy: Strategy
    usage: Usage = field(default_factory=lambda: Usage(0, 0))


AgentItem = Thought | ToolCalled | ToolResult | AnswerDelta | Finished


def add_usage(total: Usage, more: Usage | None) -> Usage:
    """`total` plus `more` (None adds nothing)."""
    if more is None:
        return total
    return Usage(
        total.prompt_tokens + more.prompt_tokens,
        total.completion_tokens + more.completion_tokens,
    )


def as_json(item: AgentItem) -> dict[str, Any]:
    """An item as the JSON a node log carries (text cut by the node, not here)."""
    if isinstance(item, Thought):
        return {"text": item.text}
    if isinstance(item, ToolCalled):
        return {"call_id": item.call_id, "tool": item.name, "arguments": item.arguments}
    if isinstance(item, ToolResult):
        return {"call_id": item.call_id, "tool": item.name, "ok": item.ok, "result": item.text}
    if isinstance(item, AnswerDelta):
        return {"text": item.text}
    return {"answer": item.answer, "steps": item.steps, "strategy": item.strategy}
