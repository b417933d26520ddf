"""The tool node: calls one tool of a workspace's tool server (MCP) with mapped arguments.

Each argument is a constant (any JSON value), a variable (its value as it is, typed), or text
with `{{#node.field#}}` references (Dify's "mixed"). The session checks the arguments against
the tool's input schema before it calls (ToolArgumentsError names the argument), and every
failure is a ToolError subclass, so the node's error strategy applies to it. A tool that
reports an error (MCP's is_error) fails the node too, unless `fail_on_tool_error` is off:
then its text comes out with `is_error` true.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from runtime.errors import ToolCallFailedError
from runtime.nodes.base import (
    SELECTOR,
    TEMPLATE,
    TOOL_NAME,
    TOOL_SERVER,
    Done,
    Node,
    NodeConfig,
    NodeContext,
    NodeOutput,
    VarType,
)
from runtime.nodes.registry import register
from runtime.resources import TOOLS, ToolResult
from runtime.variables import Selector, VariablePool, extract_references, render

_MISSING = object()


class ConstantArgument(NodeConfig):
    type: Literal["constant"] = "constant"
    value: Any = Field(None, description="Sent as it is (text, a number, true/false, JSON).")


class VariableArgument(NodeConfig):
    type: Literal["variable"]
    value: list[str] = Field(min_length=2, json_schema_extra=SELECTOR, title="Variable")


class MixedArgument(NodeConfig):
    type: Literal["mixed"]
    value: str = Field("", json_schema_extra=TEMPLATE, title="Text")


ToolArgument = Annotated[
    ConstantArgument | VariableArgument | MixedArgument, Field(discriminator="type")
]


class ToolConfig(NodeConfig):
    server: str = Field("", min_length=1, title="Tool server", json_schema_extra=TOOL_SERVER)
    tool: str = Field("", min_length=1, title="Tool", json_schema_extra=TOOL_NAME)
    arguments: dict[str, ToolArgument] = Field(
        default_factory=dict,
        json_schema_extra={"widget": "tool_arguments"},
        description="The tool's parameters, each from a constant, a variable or a text.",
    )
    timeout_s: float | None = Field(
        None,
        gt=0,
        le=3600,
        title="Call timeout in seconds",
        description="Empty: the node's timeout, else the instance's (60 s by default).",
    )
    fail_on_tool_error: bool = Field(
        True,
        description="When the tool reports an error, fail the node (its error strategy "
        "applies); off: output the error's text with is_error true.",
    )


@register("tool", version=1)
class ToolNode(Node[ToolConfig]):
    """Calls a tool through the run's TOOLS sessions (pooled MCP sessions in the portal)."""

    type_title = "Tool"
    category = "transform"
    description = "Call a tool of an MCP server: text and JSON results come out."
    output_types: ClassVar[Mapping[str, VarType]] = {
        "text": "string",
        "json": "any",
        "is_error": "boolean",
    }
    needs = (TOOLS,)
    palette_rank = 30

    def references(self) -> list[Selector]:
        """The variables the arguments read."""
        refs: dict[Selector, None] = {}
        for arg in self.config.arguments.values():
            if isinstance(arg, VariableArgument):
                refs[tuple(arg.value)] = None
            elif isinstance(arg, MixedArgument):
                refs.update(dict.fromkeys(extract_references(arg.value)))
        return list(refs)

    def arguments(self, pool: VariablePool) -> dict[str, Any]:
        """The arguments to send: a variable that holds nothing is left out (the tool's own
        default applies, or its schema says it is required)."""
        values: dict[str, Any] = {}
        for name, arg in self.config.arguments.items():
            if isinstance(arg, VariableArgument):
                value = pool.lookup(arg.value, _MISSING)
                if value is not _MISSING and value is not None:
                    values[name] = value
            elif isinstance(arg, MixedArgument):
                values[name] = render(arg.value, pool)
            else:
                values[name] = arg.value
        return values

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Call the tool; output its text, its JSON and whether it reported an error."""
        cfg = self.config
        result = await (
            ctx.get(TOOLS)
            .get(cfg.server)
            .call_tool(
                cfg.tool,
                self.arguments(ctx.pool),
                timeout=cfg.timeout_s or self.settings.timeout_s,
                max_bytes=ctx.limits.max_output_bytes,
            )
        )
        if result.is_error and cfg.fail_on_tool_error:
            text = result.text if len(result.text) <= 1000 else result.text[:1000] + "…"
            raise ToolCallFailedError(f"tool {cfg.tool!r} reported an error: {text}")
        yield Done({"text": result.text, "json": json_of(result), "is_error": result.is_error})


def json_of(result: ToolResult) -> Any:
    """The result as JSON: its structured content, else its text when that is JSON, else None."""
    if result.structured_content is not None:
        return result.structured_content
    try:
        return json.loads(result.text)
    except ValueError:
        return None
