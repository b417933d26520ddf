"""The variable assigner (Dify's `assigner`, version 2): writes a chat app's conversation
variables, which later nodes and the conversation's next turns read as
`{{#conversation.name#}}`. Each item applies one operation (over-write, clear, append, +=, …)
to one variable with a constant or another node's value; compile checks that each operation
fits its variable's type (`conversation_issues`), and a run checks the values it is given."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from runtime._assign import (
    Operation,
    apply,
    operations_for,
    takes_value,
    types_for,
    value_type_for,
)
from runtime.conversation import fits
from runtime.errors import AssignmentError
from runtime.issues import Issue
from runtime.messages import PICK_VARIABLE
from runtime.nodes.base import SELECTOR, Done, Node, NodeConfig, NodeContext, NodeOutput
from runtime.nodes.registry import register
from runtime.resources import CONVERSATION
from runtime.spec import AppMode
from runtime.variables import CONVERSATION_SCOPE, Selector

ONLY_CONVERSATION = "only conversation variables can be assigned: pick one under Conversation"


class AssignItem(NodeConfig):
    variable_selector: list[str] = Field(
        min_length=2,
        max_length=2,
        title="Variable",
        description="The conversation variable to write.",
        json_schema_extra=SELECTOR,
    )
    operation: Operation = Field("over-write", description="What to do to the variable.")
    input_type: Literal["variable", "constant"] = Field(
        "constant", title="Value from", description="a constant, or another node's value"
    )
    value: Any = Field(None, description="The constant, or the variable (unused by clear).")

    @field_validator("variable_selector")
    @classmethod
    def _conversation_only(cls, value: list[str]) -> list[str]:
        if value[0] != CONVERSATION_SCOPE:
            raise ValueError(ONLY_CONVERSATION)
        return value

    @field_validator("value")
    @classmethod
    def _variable_chosen(cls, value: Any, info: ValidationInfo) -> Any:
        needs = takes_value(info.data.get("operation", "over-write"))
        if needs and info.data.get("input_type") == "variable" and not _is_selector(value):
            raise ValueError(PICK_VARIABLE)
        return value

    @property
    def name(self) -> str:
        """The variable's name."""
        return self.variable_selector[1]

    def reads(self) -> Selector | None:
        """The variable its value comes from, if it takes one."""
        if self.input_type == "variable" and takes_value(self.operation):
            return tuple(self.value)
        return None


def _is_selector(value: Any) -> bool:
    return isinstance(value, list) and len(value) >= 2 and all(isinstance(p, str) for p in value)


class VariableAssignerConfig(NodeConfig):
    items: list[AssignItem] = Field(
        default_factory=list, description="The assignments, made in order."
    )


@register("variable_assigner", version=1)
class VariableAssignerNode(Node[VariableAssignerConfig]):
    type_title = "Variable assigner"
    category = "transform"
    description = "Write conversation variables, kept across the turns of a conversation."
    needs = (CONVERSATION,)
    offered_in: ClassVar[frozenset[AppMode]] = frozenset({"chat"})
    palette_rank = 47

    @classmethod
    def default_config(cls, mode: AppMode) -> dict[str, Any]:
        """One assignment whose variable is still to pick."""
        item = {"variable_selector": [], "operation": "over-write", "input_type": "constant"}
        return {"items": [{**item, "value": None}]}

    def references(self) -> list[Selector]:
        """The variables it writes and those its values come from."""
        refs: list[Selector] = []
        for item in self.config.items:
            refs.append(tuple(item.variable_selector))
            if (source := item.reads()) is not None:
                refs.append(source)
        return refs

    def conversation_issues(self, types: Mapping[str, str]) -> list[Issue]:
        """An issue on each item whose operation does not fit its variable's type, or whose
        constant is not a value of the type the operation needs."""
        issues: list[Issue] = []
        for i, item in enumerate(self.config.items):
            var_type = types.get(item.name)
            if var_type is None:  # the reference check says the variable is missing
                continue
            if var_type not in types_for(item.operation):
                fitting = ", ".join(operations_for(var_type))
                msg = (
                    f"item {i + 1}: {item.operation} does not work on {item.name}, a {var_type}"
                    f" variable: pick one of {fitting}"
                )
                issues.append(Issue("bad_config", msg, self.node_id, f"items.{i}.operation"))
                continue
            want = value_type_for(item.operation, var_type)
            constant = item.input_type == "constant" and takes_value(item.operation)
            if constant and not fits(want, item.value):
                msg = f"item {i + 1}: {item.operation} on {item.name} needs a {want} value"
                issues.append(Issue("bad_config", msg, self.node_id, f"items.{i}.value"))
        return issues

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Apply each item to the run's conversation variables, in order."""
        store = ctx.get(CONVERSATION)
        assigned: dict[str, Any] = {}
        for i, item in enumerate(self.config.items):
            where = f"item {i + 1} ({item.name})"
            var_type = store.types.get(item.name)
            if var_type is None:
                raise AssignmentError(f"{where}: the app has no such conversation variable")
            source = item.reads()
            value = ctx.pool.lookup(source) if source is not None else item.value
            want = value_type_for(item.operation, var_type)
            if takes_value(item.operation) and not fits(want, value):
                got = type(value).__name__ if value is not None else "nothing"
                raise AssignmentError(f"{where}: {item.operation} needs a {want} value, got {got}")
            try:
                new = apply(item.operation, var_type, store.get(item.name), value)
            except ZeroDivisionError:
                raise AssignmentError(f"{where}: cannot divide by 0") from None
            store.set(item.name, new)
            assigned[item.name] = new
        yield Done({}, metadata={"assigned": assigned})
