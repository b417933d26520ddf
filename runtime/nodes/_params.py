"""A parameter extractor's parameters: their config, the JSON Schema they make, and the check
of a model's answer against it, which says what failed by the parameter's name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from pydantic import Field, field_validator

from runtime.messages import NAME_PATTERN
from runtime.nodes.base import NodeConfig, VarType

ParamType = Literal["string", "number", "boolean", "array[string]", "array[number]", "object"]

_JSON_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "array[string]": {"type": "array", "items": {"type": "string"}},
    "array[number]": {"type": "array", "items": {"type": "number"}},
    "object": {"type": "object"},
}
_VAR_TYPES: dict[str, VarType] = {
    "string": "string",
    "number": "number",
    "boolean": "boolean",
    "array[string]": "array",
    "array[number]": "array",
    "object": "object",
}
_WORDS = {
    "string": "text",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a JSON object",
}


class ExtractorParameter(NodeConfig):
    name: str = Field(min_length=1, pattern=NAME_PATTERN, description="The output's name.")
    type: ParamType = "string"
    description: str = Field("", description="What to extract, for the model.")
    required: bool = False
    options: list[str] = Field(
        default_factory=list,
        description="The only values allowed (text parameters), one per line; empty: any value.",
    )

    @field_validator("options")
    @classmethod
    def _no_blank(cls, options: list[str]) -> list[str]:
        """Blank lines of the editor's one-per-line box are not options."""
        return [o.strip() for o in options if o.strip()]


def var_type(param: ExtractorParameter) -> VarType:
    """The output type of a parameter."""
    return _VAR_TYPES[param.type]


_PLACEHOLDERS: dict[str, Any] = {
    "string": "...",
    "number": 0,
    "boolean": False,
    "array[string]": ["..."],
    "array[number]": [0],
    "object": {},
}


# the placeholders a model may copy back from the example object instead of a value
_UNFILLED = ("...", ["..."])


def placeholder(param: ExtractorParameter) -> Any:
    """A value of the parameter's type for the example object the prompt shows."""
    return (
        param.options[0] if param.options and param.type == "string" else _PLACEHOLDERS[param.type]
    )


def describe(param: ExtractorParameter) -> str:
    """One line of the prompt about a parameter: its type, whether required, what it is."""
    kind = _WORDS[_JSON_TYPES[param.type]["type"]]
    if param.type.startswith("array["):
        kind = f"a list of {'numbers' if param.type == 'array[number]' else 'texts'}"
    parts = [f"{param.name}: {kind}", "required" if param.required else ""]
    if param.options and param.type == "string":
        parts.append(f"one of {', '.join(param.options)}")
    line = ", ".join(p for p in parts if p)
    return f"{line}. {param.description}".rstrip() if param.description else f"{line}."


def json_schema(params: Sequence[ExtractorParameter]) -> dict[str, Any]:
    """The JSON Schema of an answer that fills `params`."""
    props: dict[str, Any] = {}
    for p in params:
        prop = dict(_JSON_TYPES[p.type])
        if p.description:
            prop["description"] = p.description
        if p.options and p.type == "string":
            prop["enum"] = list(p.options)
        props[p.name] = prop
    return {
        "type": "object",
        "properties": props,
        "required": [p.name for p in params if p.required],
        "additionalProperties": False,
    }


def _coerced(value: Any, kind: str) -> Any:
    """`value` where a model wrote a number or boolean as text ("42", "true"), or text as a
    number; anything else as it is (the check then says what is wrong)."""
    if isinstance(value, str) and kind == "number":
        try:
            number = float(value.strip())
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
    if isinstance(value, str) and kind == "boolean" and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if kind == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # a zip code or an id the model wrote as a number
    return value


def check(
    answer: Mapping[str, Any], params: Sequence[ExtractorParameter]
) -> tuple[dict[str, Any], list[str]]:
    """Each parameter's value from `answer` (None when missing or invalid) and what was wrong,
    one sentence per parameter, naming it. A null, or the prompt's placeholder copied back,
    counts as missing; keys the schema does not list are dropped."""
    values = {
        p.name: _coerced(v, p.type)
        for p in params
        if (v := answer.get(p.name)) is not None and v not in _UNFILLED
    }
    problems = {
        p.name: f"{p.name}: missing (it is required)"
        for p in params
        if p.required and p.name not in values
    }
    schema = {**json_schema(params), "required": [], "additionalProperties": True}
    by_name = {p.name: p for p in params}
    for err in Draft202012Validator(schema).iter_errors(values):
        name = str(err.path[0]) if err.path else ""
        if name in by_name:
            problems.setdefault(name, _said(err, by_name[name]))
    out = {p.name: None if p.name in problems else values.get(p.name) for p in params}
    return out, [problems[p.name] for p in params if p.name in problems]


def _said(err: SchemaError, param: ExtractorParameter) -> str:
    """One failed check, for a person: the parameter's name, then what was wrong."""
    if err.validator == "enum":
        return f"{param.name}: {err.instance!r} is not one of {', '.join(param.options)}"
    if err.validator == "type":
        wanted = _WORDS.get(str(err.validator_value), str(err.validator_value))
        where = "an item" if len(err.path) > 1 else "the value"
        return f"{param.name}: {where} must be {wanted}, not {err.instance!r}"
    return f"{param.name}: {err.message}"
