"""The template node: renders a sandboxed Jinja2 template over selected variables."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from functools import lru_cache
from typing import ClassVar

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import Field

from runtime.nodes.base import SELECTOR, Done, Node, NodeConfig, NodeContext, NodeOutput, VarType
from runtime.nodes.registry import register
from runtime.variables import Selector

_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


@lru_cache(maxsize=1024)
def _compiled(source: str) -> Template:
    return _ENV.from_string(source)


class TemplateVariable(NodeConfig):
    variable: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    value_selector: list[str] = Field(min_length=2, json_schema_extra=SELECTOR)


class TemplateConfig(NodeConfig):
    variables: list[TemplateVariable] = Field(default_factory=list)
    template: str = Field("", json_schema_extra={"widget": "code"})


@register("template", version=1)
class TemplateNode(Node[TemplateConfig]):
    type_title = "Template"
    category = "transform"
    description = "Render a Jinja2 template (sandboxed) over chosen variables."
    output_types: ClassVar[Mapping[str, VarType]] = {"output": "string"}

    def references(self) -> list[Selector]:
        """The selectors of the template's variables."""
        return [tuple(v.value_selector) for v in self.config.variables]

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Render the template in Jinja2's immutable sandbox."""
        values = {v.variable: ctx.pool.lookup(v.value_selector) for v in self.config.variables}
        text = _compiled(self.config.template).render(values)
        yield Done({"output": text})
