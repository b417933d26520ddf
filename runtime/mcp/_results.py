"""A listed tool and a tool's result read into the runtime's types (the result within a size
limit)."""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types

from runtime.errors import ToolResultTooLargeError
from runtime.resources import ToolInfo, ToolResult


def tool_info(tool: types.Tool) -> ToolInfo:
    """A listed tool as the runtime sees it."""
    return ToolInfo(tool.name, tool.description or "", dict(tool.input_schema))


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
