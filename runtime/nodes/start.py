"""The start node: declares the run's input variables and checks the inputs against them.

Besides text, numbers, choices and checkboxes, an input may hold structured data, under Dify's
type names: `json_object` (a JSON object, optionally checked against its `json_schema`, as
Dify's) and `array[string]`, `array[number]`, `array[object]`, `array[boolean]` (a list whose
items all have that type: what an iteration goes through). A structured value comes as JSON
data or as JSON text (what a form's text box or a Dify client sends).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal

import jsonschema
from jsonschema.exceptions import best_match
from pydantic import Field, field_validator

from runtime.conversation import element_type, fits
from runtime.errors import InputError
from runtime.messages import NAME_PATTERN
from runtime.nodes.base import (
    Done,
    Node,
    NodeConfig,
    NodeContext,
    NodeOutput,
    VarType,
    shown_when,
)
from runtime.nodes.registry import register

InputType = Literal[
    "text",
    "paragraph",
    "number",
    "select",
    "checkbox",
    "json_object",
    "array[string]",
    "array[number]",
    "array[object]",
    "array[boolean]",
]
_TYPES: dict[str, VarType] = {
    "text": "string",
    "paragraph": "string",
    "select": "string",
    "number": "number",
    "checkbox": "boolean",
    "json_object": "object",
    "array[string]": "array",
    "array[number]": "array",
    "array[object]": "array",
    "array[boolean]": "array",
}
_ITEM_WORDS = {
    "string": "texts",
    "number": "numbers",
    "object": "objects",
    "boolean": "true/false values",
}


class StartVariable(NodeConfig):
    variable: str = Field(pattern=NAME_PATTERN, title="Variable name")
    label: str = ""
    type: InputType = "text"
    required: bool = True
    default: Any = None
    options: list[str] = Field(default_factory=list)
    max_length: int | None = Field(None, ge=1)
    json_schema: dict[str, Any] | None = Field(
        None,
        title="JSON Schema",
        description="The shape the object must have (empty: any object).",
        json_schema_extra=shown_when("type", "json_object"),
    )

    @field_validator("json_schema")
    @classmethod
    def _schema_valid(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value:
            try:
                jsonschema.Draft7Validator.check_schema(value)
            except jsonschema.SchemaError as exc:
                raise ValueError(f"is not a valid JSON Schema: {exc.message}") from None
        return value


class StartConfig(NodeConfig):
    variables: list[StartVariable] = Field(default_factory=list)


def json_property(var: StartVariable) -> dict[str, Any]:
    """A start variable as a JSON Schema property: its type, options, length, item type, an
    object's schema and its default."""
    prop: dict[str, Any] = {"type": _TYPES[var.type]}
    item = element_type(var.type)
    if item is not None:
        prop["items"] = {"type": item}  # Dify's item types are JSON Schema's names
    if var.type == "json_object" and var.json_schema:
        # the object's own shape, as Dify's MCP server gives it
        for key in ("properties", "required", "additionalProperties"):
            if key in var.json_schema:
                prop[key] = var.json_schema[key]
    if var.type == "select" and var.options:
        prop["enum"] = list(var.options)
    if var.max_length is not None and prop["type"] == "string":
        prop["maxLength"] = var.max_length
    if var.default is not None:
        prop["default"] = var.default
    return prop


def _json_value(var: StartVariable, value: Any) -> Any:
    """A structured value: JSON text parsed, the rest as it is; InputError when the text is not
    JSON."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        where = f"{exc.msg} at character {exc.pos + 1}"
        raise InputError(var.variable, f"is not valid JSON ({where})") from None


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:39] + "…"


def _structured(var: StartVariable, value: Any) -> Any:
    """A json_object or array value, checked; InputError naming the variable (and the item)."""
    name = var.variable
    value = _json_value(var, value)
    item = element_type(var.type)
    if item is not None:
        words = _ITEM_WORDS[item]
        if not isinstance(value, list):
            raise InputError(name, f"must be a list of {words}, not {_shown(value)}")
        for i, v in enumerate(value):
            if not fits(item, v):
                raise InputError(name, f"must be a list of {words}: item {i + 1} is {_shown(v)}")
        return value
    if not isinstance(value, dict):
        raise InputError(name, f"must be a JSON object ({{...}}), not {_shown(value)}")
    if var.json_schema:
        error = best_match(jsonschema.Draft7Validator(var.json_schema).iter_errors(value))
        if error is not None:
            where = ".".join(str(p) for p in error.absolute_path)
            at = f" at {where}" if where else ""
            raise InputError(name, f"does not fit its JSON Schema{at}: {error.message}")
    return value


def _coerce(var: StartVariable, value: Any) -> Any:
    name = var.variable
    if var.type == "json_object" or var.type.startswith("array"):
        return _structured(var, value)
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
