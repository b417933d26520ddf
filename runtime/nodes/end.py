"""The end node (workflow apps): names the run's outputs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from pydantic import Field

from runtime.messages import NAME_PATTERN
from runtime.nodes.base import SELECTOR, Done, Node, NodeConfig, NodeContext, NodeOutput, VarType
from runtime.nodes.registry import register
from runtime.spec import AppMode
from runtime.variables import Segment, Selector


class EndOutput(NodeConfig):
    variable: str = Field(pattern=NAME_PATTERN, title="Output name")
    value_selector: list[str] = Field(min_length=2, json_schema_extra=SELECTOR)


class EndConfig(NodeConfig):
    outputs: list[EndOutput] = Field(default_factory=list)


@register("end", version=1)
class EndNode(Node[EndConfig]):
    type_title = "End"
    category = "io"
    description = "Finish a workflow run and name its outputs."
    dynamic_outputs = True
    ends_run_in = frozenset({"workflow"})
    shows_text = True
    gives_run_outputs = True
    offered_in = frozenset({"workflow"})
    palette_rank = 20

    @classmethod
    def default_config(cls, mode: AppMode) -> dict[str, Any]:
        """One output, `result`, whose variable is the one thing to pick (a run that ends with
        no outputs gives nothing back)."""
        return {"outputs": [{"variable": "result", "value_selector": []}]}

    @classmethod
    def draft_handles(cls, config: Mapping[str, Any]) -> list[str]:
        """None, as when its config is valid."""
        return []

    def handles(self) -> list[str]:
        """None: a workflow run ends here."""
        return []

    def outputs(self) -> dict[str, VarType]:
        """One output per configured variable."""
        return {o.variable: "any" for o in self.config.outputs}

    def references(self) -> list[Selector]:
        """The selectors of the outputs."""
        return [tuple(o.value_selector) for o in self.config.outputs]

    def segments(self) -> tuple[Segment, ...]:
        """The outputs' selectors, in order: what a workflow run streams as text chunks."""
        return tuple(tuple(o.value_selector) for o in self.config.outputs)

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Collect the outputs from the pool."""
        yield Done({o.variable: ctx.pool.lookup(o.value_selector) for o in self.config.outputs})
