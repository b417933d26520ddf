"""The variable aggregator: the first available value among several branches' variables."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any, ClassVar

from pydantic import Field

from runtime.nodes.base import SELECTOR, Done, Node, NodeConfig, NodeContext, NodeOutput, VarType
from runtime.nodes.registry import register
from runtime.spec import AppMode
from runtime.variables import Selector


class VariableAggregatorConfig(NodeConfig):
    # An entry the editor has added but not chosen yet ([]) is a bad_config issue on the node,
    # as in every other selector field, never a selector the checks cannot index.
    variables: list[Annotated[list[str], Field(min_length=2, json_schema_extra=SELECTOR)]] = Field(
        default_factory=list
    )
    output_type: VarType = "string"


@register("variable_aggregator", version=1)
class VariableAggregatorNode(Node[VariableAggregatorConfig]):
    type_title = "Variable aggregator"
    category = "transform"
    description = "Output the first variable that has a value (joins branches)."
    output_types: ClassVar[Mapping[str, VarType]] = {"output": "any"}
    dynamic_outputs = True
    palette_rank = 45

    @classmethod
    def default_config(cls, mode: AppMode) -> dict[str, Any]:
        """One candidate, not chosen yet: the one thing to pick (add more for other branches)."""
        return {**super().default_config(mode), "variables": [[]]}

    def outputs(self) -> dict[str, VarType]:
        """One output, `output`, of the configured type."""
        return {"output": self.config.output_type}

    def references(self) -> list[Selector]:
        """The candidate selectors."""
        return [tuple(s) for s in self.config.variables]

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Pick the first non-None value."""
        value = None
        for sel in self.config.variables:
            value = ctx.pool.lookup(sel)
            if value is not None:
                break
        yield Done({"output": value})
