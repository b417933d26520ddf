"""Conversation variables (Dify's `conversation.*`): values a chat app keeps across the turns of
one conversation, read as `{{#conversation.name#}}` and written by the variable assigner.

A spec declares them (`WorkflowSpec.conversation_variables`: name, type, default); the builder
stores each conversation's values and gives them to a run (`RunContext.conversation`); the run
starts from the defaults with those values over them, and `RunFinished.conversation` says what
the run changed, for the builder to store. `ConversationState` is the run's one copy: the pool's
`conversation` scope is its mapping, so a value assigned is what every later node reads (in a
loop's next round too, since forked pools share it).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, get_args

from runtime.issues import Issue
from runtime.spec import ConversationType, WorkflowSpec

VALUE_TYPES: tuple[str, ...] = get_args(ConversationType)
_ZERO: dict[str, Any] = {"string": "", "number": 0, "boolean": False, "object": {}}


def zero_value(value_type: str) -> Any:
    """The value a variable of `value_type` holds when cleared (Dify's defaults)."""
    return [] if value_type.startswith("array") else _ZERO[value_type]


def element_type(value_type: str) -> str | None:
    """The type of an array type's items ("array[number]" → "number"); None for the others."""
    if value_type.startswith("array[") and value_type.endswith("]"):
        return value_type[6:-1]
    return None


def fits(value_type: str, value: Any) -> bool:
    """Whether `value` is a value of `value_type` (a bool is not a number; null fits nothing)."""
    item = element_type(value_type)
    if item is not None:
        return isinstance(value, list) and all(fits(item, v) for v in value)
    if value_type == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    kinds: dict[str, type | tuple[type, ...]] = {"string": str, "boolean": bool, "object": dict}
    kind = kinds.get(value_type)
    return kind is not None and isinstance(value, kind)


def conversation_issues(spec: WorkflowSpec) -> list[Issue]:
    """Issues of the spec's conversation variables: names taken twice, types Weft has not,
    defaults that do not fit their type, and any at all in a workflow app."""
    issues: list[Issue] = []
    seen: dict[str, int] = {}
    for i, var in enumerate(spec.conversation_variables):
        where = f"conversation_variables.{i}"
        label = f"conversation variable {i + 1}"
        if spec.mode != "chat":
            msg = f"{label} ({var.name}): conversation variables are kept only by chat apps"
            issues.append(Issue("bad_conversation_variable", msg + "; remove it", None, where))
        if var.name in seen:
            msg = f"{label}: {var.name} is already the name of conversation variable"
            msg += f" {seen[var.name] + 1}; rename one"
            issues.append(Issue("bad_conversation_variable", msg, None, f"{where}.name"))
        seen.setdefault(var.name, i)
        if var.default is not None and not fits(var.type, var.default):
            msg = f"{label} ({var.name}): its default is not a {var.type} value"
            issues.append(Issue("bad_conversation_variable", msg, None, f"{where}.default"))
    return issues


def start_values(spec: WorkflowSpec) -> dict[str, Any]:
    """Each conversation variable's default (its type's empty value when it has none)."""
    return {
        v.name: zero_value(v.type) if v.default is None else v.default
        for v in spec.conversation_variables
    }


class ConversationState:
    """The conversation variables of one run: declared types, values, and what changed."""

    __slots__ = ("_start", "types", "values")

    def __init__(
        self, types: Mapping[str, str], defaults: Mapping[str, Any], stored: Mapping[str, Any]
    ) -> None:
        # a stored value whose variable is gone or changed type is left out: its default holds
        kept = {k: v for k, v in stored.items() if k in types and fits(types[k], v)}
        self.types = dict(types)
        values = {**defaults, **kept}
        self.values: dict[str, Any] = copy.deepcopy(values) if values else values
        self._start = dict(self.values)

    def get(self, name: str) -> Any:
        """The variable's value now; KeyError when the app has no such variable."""
        return self.values[name]

    def set(self, name: str, value: Any) -> None:
        """Give the variable a new value (checked by the caller against its type)."""
        if name not in self.types:
            raise KeyError(name)
        self.values[name] = value

    def changed(self) -> dict[str, Any]:
        """The variables whose value the run changed, with their values now."""
        return {k: v for k, v in self.values.items() if self._start.get(k) != v}
