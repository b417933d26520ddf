"""What the variable assigner's operations do (Dify's assigner, version 2) and which variable
types each fits. Every operation builds a new value: the old one may be the start value the run
compares with to say what changed."""

from __future__ import annotations

from typing import Any, Literal, get_args

from runtime.conversation import VALUE_TYPES, element_type, zero_value

Operation = Literal[
    "over-write",
    "set",
    "clear",
    "append",
    "extend",
    "remove-first",
    "remove-last",
    "+=",
    "-=",
    "*=",
    "/=",
]
OPERATIONS: tuple[str, ...] = get_args(Operation)
_ARRAYS = frozenset(t for t in VALUE_TYPES if t.startswith("array"))
_ARITHMETIC = frozenset({"+=", "-=", "*=", "/="})
_ON_ARRAYS = frozenset({"append", "extend", "remove-first", "remove-last"})
_NO_VALUE = frozenset({"clear", "remove-first", "remove-last"})


def types_for(operation: str) -> frozenset[str]:
    """The variable types `operation` works on."""
    if operation in _ARITHMETIC:
        return frozenset({"number"})
    if operation in _ON_ARRAYS:
        return _ARRAYS
    return frozenset(VALUE_TYPES)


def operations_for(value_type: str) -> list[str]:
    """The operations that work on a variable of `value_type`, in Dify's order."""
    return [op for op in OPERATIONS if value_type in types_for(op)]


def takes_value(operation: str) -> bool:
    """Whether `operation` needs a value (clear and the removals do not)."""
    return operation not in _NO_VALUE


def value_type_for(operation: str, var_type: str) -> str:
    """The type the value of `operation` on a `var_type` variable must have."""
    if operation == "append":
        return element_type(var_type) or var_type
    if operation in _ARITHMETIC:
        return "number"
    return var_type


def apply(operation: str, var_type: str, current: Any, value: Any) -> Any:
    """The variable's new value; ZeroDivisionError for `/=` by 0."""
    if operation in ("over-write", "set"):
        return value
    if operation == "clear":
        return zero_value(var_type)
    items = list(current) if isinstance(current, list) else []
    if operation == "append":
        return [*items, value]
    if operation == "extend":
        return [*items, *value]
    if operation == "remove-first":
        return items[1:]
    if operation == "remove-last":
        return items[:-1]
    number = current if isinstance(current, int | float) else 0
    if operation == "+=":
        return number + value
    if operation == "-=":
        return number - value
    if operation == "*=":
        return number * value
    if value == 0:
        raise ZeroDivisionError
    return number / value
