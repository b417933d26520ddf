"""The template node: renders a sandboxed Jinja2 template over selected variables.

CPU-bound renders run in a sandbox worker process (runtime.sandbox), never on the event loop:
such a render is stopped after min(the node's timeout, the run's max_render_s). A bounded
template (substitutions, conditions and simple filters, no loops or calls: `_render.is_bounded`)
costs time linear in its size and its values', like a prompt's variables, and renders in place.
Either way the output is refused past max_output_bytes (the node's own value, at most the run's
limit).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import ClassVar

from pydantic import Field

from runtime._render import is_bounded, render
from runtime.messages import NAME_PATTERN
from runtime.nodes.base import SELECTOR, Done, Node, NodeConfig, NodeContext, NodeOutput, VarType
from runtime.nodes.registry import register
from runtime.sandbox import get_sandbox
from runtime.variables import Selector


class TemplateVariable(NodeConfig):
    variable: str = Field(pattern=NAME_PATTERN, title="Variable name")
    value_selector: list[str] = Field(min_length=2, json_schema_extra=SELECTOR)


class TemplateConfig(NodeConfig):
    variables: list[TemplateVariable] = Field(default_factory=list)
    template: str = Field("", json_schema_extra={"widget": "code"})
    max_output_bytes: int | None = Field(
        None,
        ge=1,
        description=(
            "Fail the node if the rendered text is larger than this many bytes. Empty: the "
            "instance's limit (WEFT_MAX_OUTPUT_BYTES, 1 MiB by default), which is also the most."
        ),
    )


@register("template", version=1)
class TemplateNode(Node[TemplateConfig]):
    type_title = "Template"
    category = "transform"
    description = "Render a Jinja2 template (sandboxed) over chosen variables."
    output_types: ClassVar[Mapping[str, VarType]] = {"output": "string"}
    palette_rank = 40

    def references(self) -> list[Selector]:
        """The selectors of the template's variables."""
        return [tuple(v.value_selector) for v in self.config.variables]

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Render the template in Jinja2's immutable sandbox: in place when it is bounded, else
        in a sandbox worker process."""
        values = {v.variable: ctx.pool.lookup(v.value_selector) for v in self.config.variables}
        max_bytes = ctx.limits.max_output_bytes
        if self.config.max_output_bytes is not None:
            max_bytes = min(max_bytes, self.config.max_output_bytes)
        seconds = ctx.limits.max_render_s
        if self.settings.timeout_s is not None:
            seconds = min(seconds, self.settings.timeout_s)
        source = self.config.template
        if is_bounded(source):
            text = render(source, values, max_bytes)
        else:
            text = await get_sandbox().call(render, source, values, max_bytes, timeout_s=seconds)
        yield Done({"output": text})
