"""Branches and containers: if-else, iteration and loop with their start nodes.

These have Dify's own fields in Weft, so they map field for field. A container's children sit
inside it by `parentId` on both sides; Dify also marks them (`isInIteration`, `iteration_id`),
which the exporter writes and the importer needs not read. A start node is its own canvas
type in Dify (`custom-iteration-start`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from builder.dsl.nodes.base import (
    Data,
    NodeCtx,
    NodeMapping,
    as_dict,
    as_list,
    filled,
    register,
    selector,
    text,
    whole,
)

_CONDITION_KEYS = ("id", "varType", "variable_selector", "comparison_operator", "value")


def _condition(raw: Any, ctx: NodeCtx) -> Data:
    cond = as_dict(raw)
    if "var_type" in cond and "varType" not in cond:
        cond["varType"] = cond.pop("var_type")  # the config's Python name for the same field
    if cond.get("sub_variable_condition"):
        ctx.warn("Weft has no conditions on a file's attributes: that part is left out")
    out = {k: cond.get(k) for k in _CONDITION_KEYS if cond.get(k) is not None}
    out["variable_selector"] = selector(cond.get("variable_selector"))
    out.setdefault("value", None)
    return out


def _if_to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    cases = []
    for raw in as_list(filled("if_else", config)["cases"]):
        case = as_dict(raw)
        case_id = text(case.get("case_id"))
        cases.append(
            {
                "id": text(case.get("id")) or case_id,
                "case_id": case_id,
                "logical_operator": text(case.get("logical_operator"), "and"),
                "conditions": [_condition(c, ctx) for c in as_list(case.get("conditions"))],
            }
        )
    return {"cases": cases}


def _if_from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    rows = data.get("cases")
    if rows is None and "conditions" in data:  # Dify before cases: one case, "true"
        rows = [{"case_id": "true", **{k: data.get(k) for k in ("logical_operator", "conditions")}}]
    cases = []
    for raw in as_list(rows):
        case = as_dict(raw)
        case_id = text(case.get("case_id")) or text(case.get("id"))
        cases.append(
            {
                "id": None if text(case.get("id")) in ("", case_id) else text(case.get("id")),
                "case_id": case_id,
                "logical_operator": "or" if case.get("logical_operator") == "or" else "and",
                "conditions": [_condition(c, ctx) for c in as_list(case.get("conditions"))],
            }
        )
    return {"cases": cases}


_ITERATION_KEYS = ("is_parallel", "parallel_nums", "error_handle_mode", "start_node_id")


def _iteration_to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    c = filled("iteration", config)
    return {
        "iterator_selector": selector(c.get("iterator_selector")),
        "output_selector": selector(c.get("output_selector")),
        **{k: c[k] for k in _ITERATION_KEYS},
    }


def _iteration_from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    c = filled("iteration", {})
    mode = text(data.get("error_handle_mode"), "terminated")
    return {
        **c,
        "iterator_selector": selector(data.get("iterator_selector")),
        "output_selector": selector(data.get("output_selector")),
        "is_parallel": bool(data.get("is_parallel")),
        "parallel_nums": max(1, min(whole(data.get("parallel_nums"), c["parallel_nums"]), 100)),
        "error_handle_mode": mode,
        "start_node_id": text(data.get("start_node_id")) or None,
    }


def _loop_variable(raw: Any) -> Data:
    var = as_dict(raw)
    out = {
        "label": text(var.get("label")),
        "var_type": text(var.get("var_type"), "string"),
        "value_type": "variable" if var.get("value_type") == "variable" else "constant",
        "value": var.get("value"),
        # Weft's next value after each round (Dify updates loop variables with assigners
        # inside the loop instead, and ignores this key)
        "update_selector": selector(var.get("update_selector")),
    }
    if var.get("id"):
        out["id"] = text(var.get("id"))
    return out


def _loop_to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    c = filled("loop", config)
    return {
        "loop_count": c["loop_count"],
        "break_conditions": [_condition(b, ctx) for b in as_list(c["break_conditions"])],
        "logical_operator": text(c["logical_operator"], "and"),
        "loop_variables": [_loop_variable(v) for v in as_list(c["loop_variables"])],
        "start_node_id": c["start_node_id"],
    }


def _loop_from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    c = filled("loop", {})
    variables = [_loop_variable(v) for v in as_list(data.get("loop_variables"))]
    for var in variables:
        var.pop("id", None)
    return {
        **c,
        "loop_count": max(1, min(whole(data.get("loop_count"), c["loop_count"]), 100)),
        "break_conditions": [_condition(b, ctx) for b in as_list(data.get("break_conditions"))],
        "logical_operator": "or" if data.get("logical_operator") == "or" else "and",
        "loop_variables": variables,
        "start_node_id": text(data.get("start_node_id")) or None,
    }


def _nothing(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    return {}


register(NodeMapping("if_else", "if-else", _if_to_dify, _if_from_dify))
register(NodeMapping("iteration", "iteration", _iteration_to_dify, _iteration_from_dify))
register(NodeMapping("loop", "loop", _loop_to_dify, _loop_from_dify))
for _weft, _dify in (("iteration_start", "iteration-start"), ("loop_start", "loop-start")):
    register(NodeMapping(_weft, _dify, _nothing, _nothing, canvas_type=f"custom-{_dify}"))
