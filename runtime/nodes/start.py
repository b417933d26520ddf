"""The start node: declares the run's input variables and checks the inputs against them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal

from pydantic import Field

from runtime.errors import InputError
from runtime.messages import NAME_PATTERN
from runtime.nodes.base import Done, Node, NodeConfig, NodeContext, NodeOutput, VarType
from runtime.nodes.registry import register

InputType = Literal["text", "paragraph", "number", "select", "checkbox"]
_TYPES: dict[str, VarType] = {
    "text": "string",
    "paragraph": "string",
    "select": "string",
    "number": "number",
    "checkbox": "boolean",
}


class StartVariable(NodeConfig):
    variable: str = Field(pattern=NAME_PATTERN, title="Variable name")
    label: str = ""
    type: InputType = "text"
    required: bool = True
    default: Any = None
    options: list[str] = Field(default_factory=list)
    max_length: int | None = Field(None, ge=1)


class StartConfig(NodeConfig):
    variables: list[StartVariable] = Field(default_factory=list)


def json_property(var: StartVariable) -> dict[str, Any]:
    """A start variable as a JSON Schema property: its type, options, length and default."""
    prop: dict[str, Any] = {"type": _TYPES[var.type]}
    if var.type == "select" and var.options:
        prop["enum"] = list(var.options)
    if var.max_length is not None and prop["type"] == "string":
        prop["maxLength"] = var.max_length
    if var.default is not None:
        prop["default"] = var.default
    return prop


def _coerce(var: StartVariable, value: Any) -> Any:
    name = var.variable
    if var.type == "number":
        if isinstance(value, bool):
            raise InputError(name, "must be a number")
        if isinstance(value, int | float):
            return value
        try:
            return float(value) if "." in str(value) else int(str(value))
        except ValueError:
            raise InputError(name, "must be a number") from None
    if var.type == "checkbox":
        if isinstance(value, bool):
            return value
        if str(value).lower() in {"true", "1", "yes", "on"}:
            return True
        if str(value).lower() in {"false", "0", "no", "off", ""}:
            return False
        raise InputError(name, "must be true or false")
    if not isinstance(value, str):
        raise InputError(name, "must be text")
    if var.max_length is not None and len(value) > var.max_length:
        raise InputError(name, f"is longer than {var.max_length} characters")
    if var.type == "select" and var.options and value not in var.options:
        raise InputError(name, f"must be one of {', '.join(var.options)}")
    return value


@register("start", version=1)
class StartNode(Node[StartConfig]):
    type_title = "Start"
    category = "io"
    description = "Where a run begins; its variables are the run's inputs."
    dynamic_outputs = True
    accepts_input = False
    starts_run = True
    palette_rank = 90  # a new app has one already; offered to put one back

    def outputs(self) -> dict[str, VarType]:
        """One output per declared input variable."""
        return {v.variable: _TYPES[v.type] for v in self.config.variables}

    def validate_inputs(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Check and coerce run inputs; raises InputError naming the first bad field."""
        out: dict[str, Any] = {}
        for var in self.config.variables:
            value = inputs.get(var.variable)
            if value is None or value == "":
                if var.default is not None:
                    value = var.default
                elif var.required:
                    raise InputError(var.variable, "is required")
                else:
                    out[var.variable] = None
                    continue
            out[var.variable] = _coerce(var, value)
        return out

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Emit the validated inputs as outputs."""
        yield Done(self.validate_inputs(ctx.inputs))
