"""The tools an agent offers its model: looked up on their servers, described as OpenAI
functions, called with a timeout, their results turned into text the model reads as data."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runtime.errors import EngineError, ToolNotFoundError
from runtime.resources import ToolInfo, ToolResult, ToolSession, ToolSessions

# OpenAI (and vLLM's parsers) accept function names of these characters, at most 64 long
_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_-]")
_NAME_MAX = 64


@dataclass(frozen=True, slots=True)
class ToolRef:
    """A tool the agent is configured to offer: `tool` on the server named `server`."""

    server: str
    tool: str


@dataclass(frozen=True, slots=True)
class AgentTool:
    """One offered tool: the name the model calls it by, where it lives, its description."""

    name: str
    server: str
    spec: ToolInfo
    session: ToolSession

    def function(self) -> dict[str, Any]:
        """The tool as an OpenAI function-tool definition."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.spec.description,
                "parameters": dict(self.spec.input_schema) or {"type": "object", "properties": {}},
            },
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    """A tool call's result as text for the model; `ok` False when it is an error, `unknown`
    when the model named a tool the agent does not offer."""

    ok: bool
    text: str
    unknown: bool = False


class Toolbox:
    """The agent's tools by the names the model sees."""

    def __init__(self, tools: Sequence[AgentTool] = ()) -> None:
        self.tools = {t.name: t for t in tools}

    @classmethod
    async def open(cls, sessions: ToolSessions, refs: Sequence[ToolRef]) -> Toolbox:
        """The tools `refs` name, described by their servers; raises MissingResourceError for a
        server the workspace does not have, ToolNotFoundError for a tool its server lacks."""
        tools: list[AgentTool] = []
        listed: dict[str, dict[str, ToolInfo]] = {}
        taken: set[str] = set()
        for ref in refs:
            session = sessions.get(ref.server)
            if ref.server not in listed:
                listed[ref.server] = {s.name: s for s in await session.list_tools()}
            spec = listed[ref.server].get(ref.tool)
            if spec is None:
                offers = f"the tool server {ref.server!r} offers no tool {ref.tool!r}"
                raise ToolNotFoundError(f"{offers}: pick one it offers")
            name = function_name(ref, taken)
            taken.add(name)
            tools.append(AgentTool(name, ref.server, spec, session))
        return cls(tools)

    def functions(self) -> tuple[dict[str, Any], ...]:
        """Every tool as an OpenAI function-tool definition."""
        return tuple(t.function() for t in self.tools.values())

    async def call(self, name: str, arguments: str, timeout_s: float, limit: int) -> Outcome:
        """Call tool `name` with the model's JSON `arguments`; whatever goes wrong is an error
        result the model reads (an unknown tool, arguments that are not a JSON object, a tool
        error or timeout), never an exception, so one bad call does not end the agent."""
        tool = self.tools.get(name)
        if tool is None:
            offered = ", ".join(self.tools) or "none"
            text = f"error: there is no tool named {name!r}; the tools are: {offered}"
            return Outcome(False, text, unknown=True)
        try:
            args = json.loads(arguments) if arguments.strip() else {}
        except ValueError as exc:
            return Outcome(
                False, f"error: the arguments are not valid JSON ({exc}); send an object"
            )
        if not isinstance(args, dict):
            return Outcome(False, "error: the arguments must be a JSON object")
        try:
            async with asyncio.timeout(timeout_s):
                result = await tool.session.call_tool(tool.spec.name, args, timeout=timeout_s)
        except TimeoutError:
            return Outcome(False, f"error: the tool did not answer within {timeout_s:g} s")
        except EngineError as exc:
            return Outcome(False, f"error: {type(exc).__name__}: {exc}")
        if result.is_error:  # the tool's own error: the model reads it and may try otherwise
            return Outcome(False, cut(f"error: {result_text(result)}", limit))
        return Outcome(True, cut(result_text(result), limit))


def function_name(ref: ToolRef, taken: set[str]) -> str:
    """The name the model calls a tool by: its own, made of the characters OpenAI allows;
    prefixed with its server's when another server's tool took it already."""
    name = _NAME_CHARS.sub("_", ref.tool)[:_NAME_MAX] or "tool"
    if name in taken:
        name = _NAME_CHARS.sub("_", f"{ref.server}__{ref.tool}")[:_NAME_MAX]
    base, n = name, 2
    while name in taken:
        name = f"{base[: _NAME_MAX - 4]}_{n}"
        n += 1
    return name


def result_text(result: ToolResult) -> str:
    """A tool's result as the model reads it: its text, else its structured content as JSON."""
    if result.text or result.structured_content is None:
        return result.text
    return json.dumps(result.structured_content, ensure_ascii=False, default=str)


def cut(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with a note saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more characters cut]"
