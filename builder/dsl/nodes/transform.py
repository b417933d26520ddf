"""Nodes that compute values: code, template, variable aggregator and variable assigner."""

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
)


def _pairs(rows: Any) -> list[Data]:
    """{variable, value_selector} rows (code inputs, template variables)."""
    return [
        {
            "variable": text(as_dict(r).get("variable")),
            "value_selector": selector(as_dict(r).get("value_selector")),
        }
        for r in as_list(rows)
    ]


def _code_to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    c = filled("code", config)
    return {
        "variables": _pairs(c["variables"]),
        "code_language": text(c["code_language"], "python3"),
        "code": text(c["code"]),
        "outputs": {
            text(as_dict(o).get("variable")): {
                "type": text(as_dict(o).get("type"), "string"),
                "children": None,
            }
            for o in as_list(c["outputs"])
        },
    }


def _code_from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    language = text(data.get("code_language"), "python3")
    if language != "python3":
        ctx.warn(f"Weft runs Python only: rewrite its {language} code in Python")
    return {
        "variables": _pairs(data.get("variables")),
        "code_language": language,
        "code": text(data.get("code")),
        "outputs": [
            {"variable": name, "type": text(as_dict(spec).get("type"), "string")}
            for name, spec in as_dict(data.get("outputs")).items()
        ],
    }


def _template_to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    c = filled("template", config)
    return {"variables": _pairs(c["variables"]), "template": text(c["template"])}


def _template_from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    return {
        **filled("template", {}),
        "variables": _pairs(data.get("variables")),
        "template": text(data.get("template")),
    }


_VAR_TYPES = ("string", "number", "object", "array", "boolean", "any")


def _aggregator_to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    c = filled("variable_aggregator", config)
    return {
        "output_type": text(c["output_type"], "string"),
        "variables": [selector(v) for v in as_list(c["variables"])],
        "advanced_settings": {"group_enabled": False, "groups": []},
    }


def _aggregator_from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    settings = as_dict(data.get("advanced_settings"))
    source: Mapping[str, Any] = data
    groups = [as_dict(g) for g in as_list(settings.get("groups"))]
    if settings.get("group_enabled") and groups:
        source = groups[0]
        if len(groups) > 1:
            ctx.warn("Weft aggregates one group: only its first group is kept")
    kind = text(source.get("output_type"), "string")
    kind = "array" if kind.startswith("array") else kind
    return {
        "variables": [selector(v) for v in as_list(source.get("variables"))],
        "output_type": kind if kind in _VAR_TYPES else "any",
    }


_ITEM_KEYS = ("variable_selector", "operation", "input_type", "value")


def _assigner_to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    items = [{k: as_dict(i).get(k) for k in _ITEM_KEYS} for i in as_list(config.get("items"))]
    return {"version": "2", "items": items}


def _assigner_from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    if "items" not in data:  # version 1: one variable, written from one other
        write = text(data.get("write_mode"), "over-write")
        source = selector(data.get("input_variable_selector"))
        return {
            "items": [
                {
                    "variable_selector": selector(data.get("assigned_variable_selector")),
                    "operation": write,
                    "input_type": "variable",
                    "value": source if write != "clear" else None,
                }
            ]
        }
    items = []
    for raw in as_list(data.get("items")):
        item = as_dict(raw)
        items.append(
            {
                "variable_selector": selector(item.get("variable_selector")),
                "operation": text(item.get("operation"), "over-write"),
                "input_type": "variable" if item.get("input_type") == "variable" else "constant",
                "value": item.get("value"),
            }
        )
    return {"items": items}


register(NodeMapping("code", "code", _code_to_dify, _code_from_dify))
register(
    NodeMapping(
        "template",
        "template-transform",
        _template_to_dify,
        _template_from_dify,
        weft_only=("max_output_bytes",),
    )
)
register(
    NodeMapping(
        "variable_aggregator",
        "variable-aggregator",
        _aggregator_to_dify,
        _aggregator_from_dify,
        aliases=("variable-assigner",),  # Dify's first name for the aggregator
    )
)
register(NodeMapping("variable_assigner", "assigner", _assigner_to_dify, _assigner_from_dify))
