"""A tool's arguments checked against its input schema, and its result read into a ToolResult
within a size limit."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsonschema
import mcp_types as types
from jsonschema.exceptions import best_match

from runtime.errors import ToolArgumentsError, ToolResultTooLargeError
from runtime.resources import ToolInfo, ToolResult


def tool_info(tool: types.Tool) -> ToolInfo:
    """A listed tool as the runtime sees it."""
    return ToolInfo(tool.name, tool.description or "", dict(tool.input_schema))


class ArgumentsChecker:
    """Checks one tool's arguments against its input schema (compiled once per tool)."""

    __slots__ = ("_tool", "_validator")

    def __init__(self, tool: ToolInfo) -> None:
        self._tool = tool.name
        schema = dict(tool.input_schema) or {"type": "object"}
        cls = jsonschema.validators.validator_for(schema)
        try:
            cls.check_schema(schema)
        except jsonschema.SchemaError:
            schema = {"type": "object"}  # a server's broken schema: leave the check to it
            cls = jsonschema.Draft202012Validator
        self._validator = cls(schema)

    def check(self, arguments: Mapping[str, Any]) -> None:
        """ToolArgumentsError naming the first argument that does not fit the schema."""
        if self._validator.is_valid(arguments):
            return
        error = best_match(self._validator.iter_errors(dict(arguments)))
        if error is None:
            return
        if error.validator == "required" and not error.path:
            missing = [n for n in error.validator_value if n not in arguments]
            name = str(missing[0]) if missing else ""
            raise ToolArgumentsError(self._tool, name, "is required")
        if error.validator == "additionalProperties" and not error.path:
            raise ToolArgumentsError(self._tool, "", f"are wrong: {error.message}")
        name = ".".join(str(p) for p in error.path)
        raise ToolArgumentsError(self._tool, name, f"is wrong: {error.message}")


def read_result(tool: str, result: types.CallToolResult, max_bytes: int) -> ToolResult:
    """The result as a ToolResult; ToolResultTooLargeError when its content is over `max_bytes`
    (counted as the text and data it carries, structured content as JSON)."""
    size = 0
    blocks: list[dict[str, Any]] = []
    texts: list[str] = []
    for block in result.content:
        if isinstance(block, types.TextContent):
            texts.append(block.text)
            size += len(block.text)
        else:
            size += len(str(getattr(block, "data", "")))
        if size > max_bytes:
            raise ToolResultTooLargeError(tool, size, max_bytes)
        blocks.append(block.model_dump(mode="json", by_alias=True, exclude_none=True))
    structured = result.structured_content
    if structured is not None:
        size += len(json.dumps(structured, ensure_ascii=False))
        if size > max_bytes:
            raise ToolResultTooLargeError(tool, size, max_bytes)
    return ToolResult(
        text="\n".join(texts),
        structured_content=structured,
        is_error=bool(result.is_error),
        content=tuple(blocks),
    )
