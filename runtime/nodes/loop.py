"""The loop container: runs the nodes inside it round after round (Dify's loop).

The loop keeps loop variables: each starts from a constant or another node's value; the nodes
inside read it as `{{#<loop>.<name>#}}` (and the round, 0-based, as `{{#<loop>.index#}}`), and
after each round it takes the value at its `update_selector` (an output of a node inside; empty:
it keeps its value). The break conditions (if-else's conditions, on loop variables or outputs of
the nodes inside) are checked before the first round and after each: when they hold, or after
`loop_count` rounds, the loop ends with its variables and `rounds` as outputs. No edge loops
back: a cycle of edges stays an issue anywhere.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from runtime.errors import InnerNodeError
from runtime.messages import NAME_PATTERN, PICK_VARIABLE
from runtime.nodes.base import (
    HIDDEN,
    SELECTOR,
    ContainerStartNode,
    Done,
    Node,
    NodeConfig,
    NodeContext,
    NodeOutput,
    VarType,
    subgraph_of,
)
from runtime.nodes.if_else import Condition, condition_references, conditions_hold
from runtime.nodes.registry import register
from runtime.variables import Selector, VariablePool

LoopVarType = Literal[
    "string",
    "number",
    "object",
    "boolean",
    "array[string]",
    "array[number]",
    "array[object]",
    "array[boolean]",
]
_RESERVED = ("index", "rounds")  # the round inside, the number of rounds outside


class LoopVariable(NodeConfig):
    label: str = Field(pattern=NAME_PATTERN, title="Name")
    var_type: LoopVarType = Field("string", title="Type")
    value_type: Literal["constant", "variable"] = Field(
        "constant", title="Starts from", description="a constant, or another node's value"
    )
    value: Any = Field(None, title="Start value", description="The constant, or the variable.")
    update_selector: list[str] = Field(
        default_factory=list,
        title="Next value",
        description="After each round it takes this output of a node inside (empty: it keeps"
        " its value).",
        json_schema_extra=SELECTOR,
    )

    @field_validator("label")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in _RESERVED:
            raise ValueError(f"{value} is taken by the loop itself: pick another name")
        return value

    @field_validator("value")
    @classmethod
    def _variable_chosen(cls, value: Any, info: ValidationInfo) -> Any:
        if info.data.get("value_type") == "variable" and not _is_selector(value):
            raise ValueError(PICK_VARIABLE)
        return value

    @field_validator("update_selector")
    @classmethod
    def _whole_selector(cls, value: list[str]) -> list[str]:
        if len(value) == 1:
            raise ValueError(PICK_VARIABLE)
        return value

    def out_type(self) -> VarType:
        """The variable's type as an output."""
        return "array" if self.var_type.startswith("array") else self.var_type  # type: ignore[return-value]


def _is_selector(value: Any) -> bool:
    return isinstance(value, list) and len(value) >= 2 and all(isinstance(p, str) for p in value)


class LoopConfig(NodeConfig):
    loop_count: int = Field(10, ge=1, le=100, title="Maximum rounds")
    break_conditions: list[Condition] = Field(
        default_factory=list, description="The loop ends when these hold (checked each round)."
    )
    logical_operator: Literal["and", "or"] = "and"
    loop_variables: list[LoopVariable] = Field(default_factory=list)
    start_node_id: str | None = Field(None, json_schema_extra=HIDDEN)  # kept from Dify's DSL

    @field_validator("loop_variables")
    @classmethod
    def _names_unique(cls, value: list[LoopVariable]) -> list[LoopVariable]:
        labels = [v.label for v in value]
        for label in labels:
            if labels.count(label) > 1:
                raise ValueError(f"two loop variables are named {label}: rename one")
        return value


@register("loop", version=1)
class LoopNode(Node[LoopConfig]):
    type_title = "Loop"
    category = "logic"
    description = "Run the nodes inside round after round until a condition holds."
    output_types: ClassVar[Mapping[str, VarType]] = {"rounds": "number"}
    dynamic_outputs = True
    container_start = "loop_start"
    inner_run_name = "round"
    palette_rank = 36

    def outputs(self) -> dict[str, VarType]:
        """The loop variables' last values, and how many rounds ran."""
        return {**{v.label: v.out_type() for v in self.config.loop_variables}, "rounds": "number"}

    def inner_outputs(self) -> dict[str, VarType]:
        """The loop variables, and the round (0-based)."""
        return {**{v.label: v.out_type() for v in self.config.loop_variables}, "index": "number"}

    @classmethod
    def draft_inner_outputs(cls, config: Mapping[str, Any]) -> dict[str, VarType]:
        """The loop variables that validate one by one, and the round."""
        found: dict[str, VarType] = {}
        raw = config.get("loop_variables")
        for item in raw if isinstance(raw, list) else []:
            try:
                var = LoopVariable.model_validate(item)
            except ValueError:
                continue  # a row still being filled in
            found[var.label] = var.out_type()
        return {**found, "index": "number"}

    def references(self) -> list[Selector]:
        """The variables the loop variables start from."""
        c = self.config.loop_variables
        return [tuple(v.value) for v in c if v.value_type == "variable"]

    def child_references(self) -> list[Selector]:
        """The break conditions' variables and the loop variables' next values."""
        nexts = [tuple(v.update_selector) for v in self.config.loop_variables if v.update_selector]
        return [*condition_references(self.config.break_conditions), *nexts]

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Run rounds until the break conditions hold or `loop_count` rounds have run."""
        values = {
            v.label: ctx.pool.lookup(v.value) if v.value_type == "variable" else v.value
            for v in self.config.loop_variables
        }
        first = ctx.pool.fork()
        first.set_outputs(self.node_id, {**values, "index": 0})
        rounds = 0
        if not self._breaks(first):
            sub = subgraph_of(ctx)
            for index in range(self.config.loop_count):
                try:
                    pool = await sub.run({**values, "index": index}, index)
                except InnerNodeError as exc:
                    message = f"round {index + 1}: {exc}"
                    raise InnerNodeError(message, exc.node_id, exc.error_code) from exc
                rounds += 1
                for v in self.config.loop_variables:
                    if v.update_selector:
                        values[v.label] = pool.lookup(v.update_selector)
                pool.set_outputs(self.node_id, {**values, "index": index})
                if self._breaks(pool):
                    break
        yield Done({**values, "rounds": rounds})

    def _breaks(self, pool: VariablePool) -> bool:
        """Whether the break conditions hold (a loop without any runs every round)."""
        c = self.config
        return conditions_hold(c.break_conditions, c.logical_operator, pool)


@register("loop_start", version=1)
class LoopStartNode(ContainerStartNode):
    type_title = "Loop start"
    description = "Where the nodes inside a loop begin, each round."
