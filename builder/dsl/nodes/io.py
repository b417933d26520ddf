"""Start, end and answer: a run's inputs, a workflow's outputs, a chat's reply."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

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
)
from runtime.nodes.start import InputType

# Weft's start input types and Dify's names for them: the same name, but for Dify's "text-input",
# which is Weft's "text" (Weft took Dify's names for its list and JSON-object inputs).
_INPUT_TYPES = {kind: kind for kind in get_args(InputType)} | {"text": "text-input"}
_FROM_DIFY = {dify: weft for weft, dify in _INPUT_TYPES.items()}


def _start_to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    variables = []
    for raw in as_list(filled("start", config)["variables"]):
        var = as_dict(raw)
        kind = text(var.get("type"), "text")
        out = {
            "variable": text(var.get("variable")),
            "label": text(var.get("label")) or text(var.get("variable")),
            "type": _INPUT_TYPES.get(kind, kind),
            "required": var.get("required", True) is not False,
            "options": as_list(var.get("options")),
            "max_length": var.get("max_length"),
        }
        if var.get("default") is not None:
            out["default"] = var["default"]
        if var.get("json_schema"):
            out["json_schema"] = var["json_schema"]
        variables.append(out)
    return {"variables": variables}


def _start_from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    variables = []
    for raw in as_list(data.get("variables")):
        var = as_dict(raw)
        name = text(var.get("variable"))
        kind = text(var.get("type"), "text-input")
        weft = _FROM_DIFY.get(kind)
        if weft is None:
            ctx.warn(
                f"input {name} is a Dify {kind} input, which Weft does not have: it is a"
                " paragraph now"
            )
            weft = "paragraph"
        max_length = var.get("max_length")
        variables.append(
            {
                "variable": name,
                "label": "" if text(var.get("label")) == name else text(var.get("label")),
                "type": weft,
                "required": var.get("required", True) is not False,
                "default": var.get("default") if var.get("default") not in ("", None) else None,
                "options": [text(o) for o in as_list(var.get("options"))],
                "max_length": max_length
                if isinstance(max_length, int) and max_length > 0
                else None,
                "json_schema": as_dict(var.get("json_schema")) or None
                if weft == "json_object"
                else None,
            }
        )
    return {"variables": variables}


def _end_to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    return {
        "outputs": [
            {
                "variable": text(as_dict(o).get("variable")),
                "value_selector": selector(as_dict(o).get("value_selector")),
            }
            for o in as_list(filled("end", config)["outputs"])
        ]
    }


def _end_from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    return {
        "outputs": [
            {
                "variable": text(as_dict(o).get("variable")),
                "value_selector": selector(as_dict(o).get("value_selector")),
            }
            for o in as_list(data.get("outputs"))
        ]
    }


def _answer_to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    return {"answer": text(config.get("answer")), "variables": []}


def _answer_from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    return {"answer": text(data.get("answer"))}


register(NodeMapping("start", "start", _start_to_dify, _start_from_dify))
register(NodeMapping("end", "end", _end_to_dify, _end_from_dify))
register(NodeMapping("answer", "answer", _answer_to_dify, _answer_from_dify))
