"""Validation errors said for people: the field's name in words, and what to do about it.

Pydantic says "String should match pattern '^[A-Za-z_][A-Za-z0-9_]*$'" about
`variables.0.variable`; a person needs "Variable name (variable 1): use letters, digits and _,
starting with a letter or _". `explain` is the one translation from pydantic's error types to
such messages. It reads the model's JSON Schema (what the editor's forms are built from) for the
field's title, and a field may give its own advice as `json_schema_extra={"hint": "..."}`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

# The pattern of every name a person types (variables, outputs, env variables).
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
NAME_HINT = "use letters, digits and _, starting with a letter or _"
PICK_VARIABLE = "pick a variable (a node and one of its outputs)"
_PATTERN_HINTS = {
    NAME_PATTERN: NAME_HINT,
    r"^[A-Za-z0-9_\-]+$": "use letters, digits, _ and -",
}

Schema = Mapping[str, Any]


def explain_all(model: type[BaseModel], exc: ValidationError) -> list[tuple[str | None, str]]:
    """Each error of `exc` (raised validating `model`) as (its dotted field path, its message)."""
    return [
        (".".join(str(p) for p in err["loc"]) or None, explain_error(model, err))
        for err in exc.errors()
    ]


def explain_error(model: type[BaseModel], err: ErrorDetails) -> str:
    """One error of validating `model` (at its `loc` in `model`), said for a person."""
    return explain(err, _schema_of(model))


def explain(err: ErrorDetails, schema: Schema) -> str:
    """One pydantic error on a model whose JSON Schema is `schema`, said for a person."""
    label, field = _locate(schema, err["loc"])
    hint = _hint(err, field)
    return f"{label}: {hint}" if label else hint[:1].upper() + hint[1:]


def explain_field(name: str, errors: Sequence[ErrorDetails], model: type[BaseModel]) -> str:
    """The errors of one field of a request's body (validated as `model`) as its refusal says them.

    A client's programmer knows the field by its name in the body, so the field is `name`
    (`query`, `messages[0].role`), and what it must be follows: "query must be text",
    "response_mode: use 'streaming' or 'blocking'", "user is required". A union's members each
    report, so their kinds are joined: "user must be text or a whole number".
    """
    schema = _schema_of(model)
    hints = list(
        dict.fromkeys(_request_hint(err, _locate(schema, err["loc"])[1]) for err in errors)
    )
    if len(hints) > 1 and all(h.startswith("must be ") for h in hints):
        hints = ["must be " + " or ".join(h.removeprefix("must be ") for h in hints)]
    hint = hints[0] if hints else "is not valid"
    return f"{name} {hint}" if hint.startswith(("must ", "is ")) else f"{name}: {hint}"


def _request_hint(err: ErrorDetails, field: Schema) -> str:
    make = _REQUEST_HINTS.get(err["type"])
    return make(err, field) if make is not None else _hint(err, field)


@cache
def _schema_of(model: type[BaseModel]) -> Schema:
    return model.model_json_schema()


def _resolve(node: Schema, defs: Schema) -> Schema:
    """Follow a $ref, and unwrap `X | None` (pydantic's anyOf with null)."""
    ref = node.get("$ref")
    if isinstance(ref, str):
        node = {
            **defs.get(ref.rsplit("/", 1)[-1], {}),
            **{k: v for k, v in node.items() if k != "$ref"},
        }
    alts = node.get("anyOf")
    if isinstance(alts, list):
        real = [a for a in alts if a.get("type") != "null"]
        if len(real) == 1:
            node = {**_resolve(real[0], defs), **{k: v for k, v in node.items() if k != "anyOf"}}
    return node


def humanize(name: str) -> str:
    """`max_tokens` → "Max tokens" (the editor's form labels do the same)."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _singular(label: str) -> str:
    return label[:-1] if label.endswith("s") and not label.endswith("ss") else label


def _locate(schema: Schema, loc: Sequence[int | str]) -> tuple[str, Schema]:
    """The label a person knows the field at `loc` by, and the field's (resolved) schema.

    A field is named by its title; a row of a list by the list's title in the singular (or its
    `item` hint) and its number ("Variable 2"). The rows and groups a field sits in follow in
    brackets: "Variable name (variable 1)", "Variable selector (case 1, condition 2)",
    "Window (memory)".
    """
    defs = schema.get("$defs", {})
    node: Schema = schema
    trail: list[str] = []
    for part in loc:
        node = _resolve(node, defs)
        if isinstance(part, int) and node.get("type") == "array":
            named = trail.pop() if trail else "Rows"
            item = node.get("item")  # a list's own word for its rows ("class", not "classe")
            row = f"{humanize(item) if isinstance(item, str) else _singular(named)} {part + 1}"
            trail.append(row)
            node = node.get("items", {})
        elif isinstance(part, str) and part in node.get("properties", {}):
            node = node["properties"][part]
            trail.append(_title(node, part))  # its own title, not its model's class name
        elif isinstance(part, str) and node.get("type") == "object":
            trail.append(humanize(part))  # a key the model does not have
            node = {}
        # else: a union member's tag ("int", "list[str]"): not a place a person sees
    if not trail:
        return "", _resolve(node, defs)
    where = ", ".join(t[:1].lower() + t[1:] for t in trail[:-1])
    return (f"{trail[-1]} ({where})" if where else trail[-1]), _resolve(node, defs)


def _title(field: Schema, name: str) -> str:
    """A field's own title, or its name in words (pydantic's made-up "Max Tokens" included)."""
    title = field.get("title")
    if not isinstance(title, str) or title == name.replace("_", " ").title():
        return humanize(name)
    return title


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _ctx(err: ErrorDetails, key: str) -> Any:
    return (err.get("ctx") or {}).get(key)


def _empty(err: ErrorDetails) -> bool:
    return err.get("input") in ("", None)


def _pattern(err: ErrorDetails, field: Schema) -> str:
    hint = field.get("hint") or _PATTERN_HINTS.get(str(_ctx(err, "pattern")))
    if hint:
        return str(hint)
    return "fill this in" if _empty(err) else "this value does not have the form the field needs"


def _too_short(err: ErrorDetails, field: Schema) -> str:
    if field.get("widget") == "selector":
        return PICK_VARIABLE
    n = _ctx(err, "min_length") or 1
    return "add at least one" if n == 1 else f"add at least {n}"


def _string_too_short(err: ErrorDetails, field: Schema) -> str:
    n = _ctx(err, "min_length") or 1
    if _empty(err):
        return "fill this in"
    return f"use at least {n} characters"


def _choices(err: ErrorDetails, field: Schema) -> str:
    expected = _ctx(err, "expected")
    return f"choose one of {expected}" if expected else "choose one of the options"


def _shape(what: str) -> Callable[[ErrorDetails, Schema], str]:
    def hint(err: ErrorDetails, field: Schema) -> str:
        if field.get("widget") == "selector":
            return PICK_VARIABLE
        return what

    return hint


def _const(text: str) -> Callable[[ErrorDetails, Schema], str]:
    return lambda err, field: text


def _bound(text: str, key: str) -> Callable[[ErrorDetails, Schema], str]:
    return lambda err, field: text.format(_num(_ctx(err, key)))


def _value_error(err: ErrorDetails, field: Schema) -> str:
    # a validator's own words: pydantic puts "Value error, " in front of them
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg


_HINTS: dict[str, Callable[[ErrorDetails, Schema], str]] = {
    "missing": _const("fill this in"),
    "string_too_short": _string_too_short,
    "string_too_long": _bound("use at most {} characters", "max_length"),
    "string_pattern_mismatch": _pattern,
    "too_short": _too_short,
    "too_long": _bound("keep at most {}", "max_length"),
    "literal_error": _choices,
    "enum": _choices,
    "int_parsing": _const("enter a whole number"),
    "int_type": _const("enter a whole number"),
    "int_from_float": _const("enter a whole number"),
    "float_parsing": _const("enter a number"),
    "float_type": _const("enter a number"),
    "finite_number": _const("enter a number"),
    "bool_parsing": _const("choose yes or no"),
    "bool_type": _const("choose yes or no"),
    "string_type": _shape("enter text"),
    "list_type": _shape("should be a list"),
    "tuple_type": _shape("should be a list"),
    "dict_type": _shape("should be named values (a JSON object)"),
    "model_type": _shape("should be a group of settings"),
    "model_attributes_type": _shape("should be a group of settings"),
    "greater_than_equal": _bound("use {} or more", "ge"),
    "greater_than": _bound("use a number above {}", "gt"),
    "less_than_equal": _bound("use {} or less", "le"),
    "less_than": _bound("use a number below {}", "lt"),
    "extra_forbidden": _const("not a known setting; remove it"),
    "value_error": _value_error,
    "assertion_error": _value_error,
}


def _use(err: ErrorDetails, field: Schema) -> str:
    expected = str(_ctx(err, "expected") or "")
    if not expected:
        return "use one of the values this field allows"
    return f"use one of {expected}" if "," in expected else f"use {expected}"


def _not_empty(what: str) -> Callable[[ErrorDetails, Schema], str]:
    def hint(err: ErrorDetails, field: Schema) -> str:
        n = _ctx(err, "min_length") or 1
        return "must not be empty" if n == 1 else f"must have at least {n} {what}"

    return hint


# The same errors where a request's body has them: what a value must be, said to the programmer
# who sent it (the form's "enter text" is for the person typing into a field).
_REQUEST_HINTS: dict[str, Callable[[ErrorDetails, Schema], str]] = {
    "missing": _const("is required"),
    "string_type": _const("must be text"),
    "string_too_short": _not_empty("characters"),
    "too_short": _not_empty("items"),
    "int_parsing": _const("must be a whole number"),
    "int_type": _const("must be a whole number"),
    "int_from_float": _const("must be a whole number"),
    "float_parsing": _const("must be a number"),
    "float_type": _const("must be a number"),
    "finite_number": _const("must be a number"),
    "bool_parsing": _const("must be true or false"),
    "bool_type": _const("must be true or false"),
    "list_type": _const("must be a list"),
    "tuple_type": _const("must be a list"),
    "dict_type": _const("must be a JSON object"),
    "model_type": _const("must be a JSON object"),
    "model_attributes_type": _const("must be a JSON object"),
    "literal_error": _use,
    "enum": _use,
    "extra_forbidden": _const("is not a field of this request; remove it"),
}


def _hint(err: ErrorDetails, field: Schema) -> str:
    make = _HINTS.get(err["type"])
    if make is not None:
        return make(err, field)
    return str(err["msg"])  # a type not translated yet: pydantic's words beat none
