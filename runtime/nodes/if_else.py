"""The if-else node: takes the handle of the first case whose conditions hold, else "false"."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field, model_validator

from runtime.nodes.base import (
    HIDDEN,
    SELECTOR,
    Done,
    Node,
    NodeConfig,
    NodeContext,
    NodeOutput,
    VarType,
)
from runtime.nodes.registry import register
from runtime.spec import AppMode
from runtime.variables import Selector, VariablePool, extract_references, render

FALSE_HANDLE = "false"
Operator = Literal[
    "contains",
    "not contains",
    "start with",
    "end with",
    "is",
    "is not",
    "empty",
    "not empty",
    "in",
    "not in",
    "=",
    "≠",
    ">",
    "<",
    "≥",
    "≤",
    "null",
    "not null",
]


def _num(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    return float(value)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _contains(a: Any, b: Any) -> bool:
    return a is not None and b in a


def _in(a: Any, b: Any) -> bool:
    items = b if isinstance(b, list) else str(b).split(",")
    return a in items or str(a) in [str(i).strip() for i in items]


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "contains": _contains,
    "not contains": lambda a, b: not _contains(a, b),
    "start with": lambda a, b: isinstance(a, str) and a.startswith(str(b)),
    "end with": lambda a, b: isinstance(a, str) and a.endswith(str(b)),
    "is": lambda a, b: a == b or (a is not None and str(a) == str(b)),
    "is not": lambda a, b: not (a == b or (a is not None and str(a) == str(b))),
    "empty": lambda a, b: _empty(a),
    "not empty": lambda a, b: not _empty(a),
    "in": _in,
    "not in": lambda a, b: not _in(a, b),
    "=": lambda a, b: _num(a) == _num(b),
    "≠": lambda a, b: _num(a) != _num(b),
    ">": lambda a, b: _num(a) > _num(b),
    "<": lambda a, b: _num(a) < _num(b),
    "≥": lambda a, b: _num(a) >= _num(b),
    "≤": lambda a, b: _num(a) <= _num(b),
    "null": lambda a, b: a is None,
    "not null": lambda a, b: a is not None,
}


def compare(operator: str, actual: Any, expected: Any) -> bool:
    """Apply a Dify comparison operator; a value that cannot be compared makes it false."""
    try:
        return _OPS[operator](actual, expected)
    except (TypeError, ValueError):
        return False


class Condition(NodeConfig):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    variable_selector: list[str] = Field(min_length=2, json_schema_extra=SELECTOR)
    comparison_operator: Operator
    value: Any = Field(None, description="Compared with the variable; may hold {{#references#}}.")
    id: str | None = Field(None, json_schema_extra=HIDDEN)  # kept from Dify's DSL
    var_type: str | None = Field(None, alias="varType", json_schema_extra=HIDDEN)


class Case(NodeConfig):
    id: str | None = Field(None, json_schema_extra=HIDDEN)  # kept from Dify's DSL
    case_id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")
    logical_operator: Literal["and", "or"] = "and"
    conditions: list[Condition] = Field(default_factory=list)


class IfElseConfig(NodeConfig):
    cases: list[Case] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _from_legacy(cls, data: Any) -> Any:
        """Accept Dify's older form (top-level conditions) as one case with the id "true"."""
        if isinstance(data, dict) and "conditions" in data and "cases" not in data:
            data = dict(data)
            op = data.pop("logical_operator", "and")
            data["cases"] = [
                {"case_id": "true", "logical_operator": op, "conditions": data.pop("conditions")}
            ]
        return data


def _holds(cond: Condition, pool: VariablePool) -> bool:
    expected = cond.value
    if isinstance(expected, str) and "{{#" in expected:
        expected = render(expected, pool)
    return compare(cond.comparison_operator, pool.lookup(cond.variable_selector), expected)


def conditions_hold(
    conditions: Sequence[Condition], logical_operator: str, pool: VariablePool
) -> bool:
    """Whether `conditions` hold in `pool`: all of them ("and") or any ("or"); none never."""
    results = (_holds(c, pool) for c in conditions)
    hit = all(results) if logical_operator == "and" else any(results)
    return hit and bool(conditions)


def condition_references(conditions: Sequence[Condition]) -> list[Selector]:
    """Selectors the conditions read (and any references in their values)."""
    refs: dict[Selector, None] = {}
    for cond in conditions:
        refs.setdefault(tuple(cond.variable_selector), None)
        if isinstance(cond.value, str):
            refs.update(dict.fromkeys(extract_references(cond.value)))
    return list(refs)


@register("if_else", version=1)
class IfElseNode(Node[IfElseConfig]):
    type_title = "If / else"
    category = "logic"
    description = "Branch on conditions: the first case that holds wins, otherwise false."
    output_types: ClassVar[Mapping[str, VarType]] = {
        "result": "boolean",
        "selected_case_id": "string",
    }
    dynamic_handles = True
    branching = True
    palette_rank = 30

    @classmethod
    def default_config(cls, mode: AppMode) -> dict[str, Any]:
        """One case with one condition whose variable is the one thing to pick (a node with no
        case could only take "false")."""
        condition = {"variable_selector": [], "comparison_operator": "contains", "value": ""}
        case = {"case_id": "case_1", "logical_operator": "and", "conditions": [condition]}
        return {"cases": [case]}

    @classmethod
    def draft_handles(cls, config: Mapping[str, Any]) -> list[str]:
        """The ids of the cases written so far (a condition may still lack its variable), then
        "false"; Dify's older form has the one case "true"."""
        cases = config.get("cases")
        if cases is None and "conditions" in config:
            return ["true", FALSE_HANDLE]
        ids = [
            c["case_id"]
            for c in (cases if isinstance(cases, list) else [])
            if isinstance(c, Mapping) and isinstance(c.get("case_id"), str) and c["case_id"]
        ]
        return [*dict.fromkeys(ids), FALSE_HANDLE]

    def handles(self) -> list[str]:
        """One handle per case, then "false"."""
        return [c.case_id for c in self.config.cases] + [FALSE_HANDLE]

    def references(self) -> list[Selector]:
        """Selectors the conditions read (and any references in their values)."""
        refs: dict[Selector, None] = {}
        for case in self.config.cases:
            refs.update(dict.fromkeys(condition_references(case.conditions)))
        return list(refs)

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Evaluate the cases in order."""
        for case in self.config.cases:
            if conditions_hold(case.conditions, case.logical_operator, ctx.pool):
                yield Done({"result": True, "selected_case_id": case.case_id}, handle=case.case_id)
                return
        yield Done({"result": False, "selected_case_id": FALSE_HANDLE}, handle=FALSE_HANDLE)
