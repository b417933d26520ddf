"""Built-in tool servers: a ToolSession over plain async functions, each with a JSON Schema.

A `BuiltinTool` is a name, a description, the JSON Schema of its arguments and an async function
called with the arguments as keywords once they passed the schema (the same `ArgumentsChecker`
MCP calls go through). `BuiltinTools` serves a list of them, or loads the list on first use
(an app's tools read the workspace's rows), and holds each call to the session's rules: a
timeout (ToolTimeoutError), a result size limit (ToolResultTooLargeError), and every other
runtime error a function raises turned into ToolCallFailedError, so a caller sees only
ToolErrors, as from an MCP server.

A function's result is data: it goes back to the caller as a ToolResult and nothing here reads
it for what to do.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from runtime.errors import (
    EngineError,
    ToolCallFailedError,
    ToolError,
    ToolNotFoundError,
    ToolResultTooLargeError,
    ToolTimeoutError,
)
from runtime.resources import ToolInfo, ToolResult
from runtime.tools.arguments import ArgumentsChecker

ToolFunction = Callable[..., Awaitable[ToolResult]]
DEFAULT_TIMEOUT_S = 30.0  # a call that names no timeout of its own
MAX_RESULT_BYTES = 8 * 1024 * 1024  # one result, unless a call asks for less (as MCP's pool)


@dataclass(frozen=True, slots=True)
class BuiltinTool:
    """One built-in tool: `run(**arguments)` answers a call whose arguments fit `input_schema`."""

    name: str
    description: str
    input_schema: Mapping[str, Any]
    run: ToolFunction

    def info(self) -> ToolInfo:
        """The tool as a server lists it."""
        return ToolInfo(self.name, self.description, self.input_schema)


Loader = Callable[[], Awaitable[Sequence[BuiltinTool]]]


def tool_result(text: str, structured: Any = None, *, is_error: bool = False) -> ToolResult:
    """A ToolResult with `text` as its one text block (as an MCP server would send it)."""
    blocks = ({"type": "text", "text": text},) if text else ()
    return ToolResult(text=text, structured_content=structured, is_error=is_error, content=blocks)


def object_schema(properties: Mapping[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    """A tool's input schema: an object of these properties and no others."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": dict(properties),
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    return schema


class BuiltinTools:
    """A ToolSession serving built-in tools (a list, or a loader called once on first use)."""

    def __init__(
        self,
        tools: Sequence[BuiltinTool] | Loader,
        *,
        label: str = "built-in tools",
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_bytes: int = MAX_RESULT_BYTES,
    ) -> None:
        self.label = label
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self._loader: Loader | None = None
        self._tools: dict[str, BuiltinTool] | None = None
        if callable(tools):
            self._loader = tools
        else:
            self._tools = {t.name: t for t in tools}
        self._checkers: dict[str, ArgumentsChecker] = {}

    async def tools(self) -> dict[str, BuiltinTool]:
        """The tools by name (loaded on first use)."""
        if self._tools is None:
            loaded = await self._loader() if self._loader is not None else ()
            self._tools = {t.name: t for t in loaded}
        return self._tools

    async def list_tools(self) -> list[ToolInfo]:
        """The tools' names, descriptions and input schemas."""
        return [t.info() for t in (await self.tools()).values()]

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any],
        *,
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> ToolResult:
        """Check the arguments against the tool's schema, call it within the timeout, and
        return its result within the size limit (see `ToolSession.call_tool`)."""
        tools = await self.tools()
        tool = tools.get(name)
        if tool is None:
            known = ", ".join(sorted(tools)) or "none"
            raise ToolNotFoundError(f"{self.label} has no tool {name!r} (its tools: {known})")
        checker = self._checkers.get(name) or ArgumentsChecker(tool.info())
        self._checkers[name] = checker
        checker.check(arguments)
        seconds = timeout or self.timeout_s
        try:
            async with asyncio.timeout(seconds):
                result = await tool.run(**arguments)
        except TimeoutError:
            raise ToolTimeoutError(f"tool {name!r} did not answer within {seconds:g} s") from None
        except ToolError:
            raise
        except EngineError as exc:  # the function's own typed error, as a tool's failure
            raise ToolCallFailedError(f"tool {name!r}: {exc}") from exc
        limit = min(max_bytes or self.max_bytes, self.max_bytes)
        return bounded(name, result, limit)


def bounded(tool: str, result: ToolResult, limit: int) -> ToolResult:
    """`result`, or ToolResultTooLargeError when its text and structured content (as JSON)
    together are over `limit` (counted as MCP results are)."""
    size = len(result.text)
    if result.structured_content is not None:
        size += len(json.dumps(result.structured_content, ensure_ascii=False, default=str))
    if size > limit:
        raise ToolResultTooLargeError(tool, size, limit)
    return result
