"""Human input: Weft's form (a prompt and typed fields) against Dify's (markdown with an
`{{#$outputs.name#}}` place per input, text inputs, and action buttons).

Dify's inputs are text only; a Weft field's own type, label, choices and default ride on its
input item (Dify ignores the extra keys). Weft's form has one way on, which is Dify's one
action button, "submit"; its source handle is that action's id. Dify counts its timeout in
hours or days; Weft's exact seconds and what a timeout does are kept in `data.weft`.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from typing import Any

from builder.dsl.nodes.base import (
    Data,
    NodeCtx,
    NodeMapping,
    as_dict,
    as_list,
    filled,
    number,
    register,
    text,
)
from runtime.spec import SOURCE_HANDLE

SUBMIT = "submit"
_PLACE = re.compile(r"(?:\n\n)?\{\{#\$outputs\.[A-Za-z_][A-Za-z0-9_]*#\}\}")
_FIELD_TYPES = ("text", "number", "choice", "boolean")
_UNIT_SECONDS = {"hour": 3600, "day": 86400}


def _to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    c = filled("human_input", config)
    fields = [as_dict(f) for f in as_list(c["fields"])]
    inputs = []
    for f in fields:
        default = f.get("default")
        inputs.append(
            {
                "type": "text_input",
                "output_variable_name": text(f.get("name")),
                "placeholder": None
                if default is None
                else {"type": "constant", "selector": [], "value": text(default)},
                "label": text(f.get("label")),
                "field_type": text(f.get("type"), "text"),
                "choices": as_list(f.get("choices")),
                "required": f.get("required", True) is not False,
                "default": default,
            }
        )
    places = "".join(f"\n\n{{{{#$outputs.{i['output_variable_name']}#}}}}" for i in inputs)
    data: Data = {
        "form_content": text(c["prompt"]) + places,
        "inputs": inputs,
        "user_actions": [{"id": SUBMIT, "title": "Submit", "button_style": "primary"}],
        "delivery_methods": [
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"weft:{ctx.node_id}:webapp")),
                "type": "webapp",
                "enabled": True,
                "config": {},
            }
        ],
    }
    seconds = number(c["timeout_s"], None)
    if seconds:
        data["timeout"], data["timeout_unit"] = max(1, math.ceil(seconds / 3600)), "hour"
    return data


def _from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    fields = []
    for raw in as_list(data.get("inputs")):
        item = as_dict(raw)
        kind = text(item.get("field_type"), "text")
        default = item.get("default")
        if "default" not in item:
            placeholder = as_dict(item.get("placeholder"))
            value = placeholder.get("value") if placeholder.get("type") == "constant" else None
            default = value if value not in ("", None) else None
        fields.append(
            {
                "name": text(item.get("output_variable_name")),
                "label": text(item.get("label")),
                "type": kind if kind in _FIELD_TYPES else "text",
                "choices": [text(c) for c in as_list(item.get("choices"))],
                "required": item.get("required", True) is not False,
                "default": default,
            }
        )
    actions = as_list(data.get("user_actions"))
    if len(actions) > 1:
        ctx.warn(
            f"Weft's form has one way on (its first button): the paths after its other"
            f" {len(actions) - 1} button(s) lead from handles it does not have"
        )
    timeout = number(data.get("timeout"), None)
    unit = _UNIT_SECONDS.get(text(data.get("timeout_unit"), "hour"), 3600)
    return {
        **filled("human_input", {}),
        "prompt": _PLACE.sub("", text(data.get("form_content"))),
        "fields": fields,
        "timeout_s": timeout * unit if timeout else None,
    }


def _handle_to_dify(config: Mapping[str, Any], handle: str) -> str:
    return SUBMIT if handle == SOURCE_HANDLE else handle


def _handle_from_dify(data: Mapping[str, Any], handle: str) -> str:
    actions = [text(as_dict(a).get("id")) for a in as_list(data.get("user_actions"))]
    return SOURCE_HANDLE if actions and handle == actions[0] else handle


register(
    NodeMapping(
        "human_input",
        "human-input",
        _to_dify,
        _from_dify,
        weft_only=("timeout_s", "on_timeout"),
        handle_to_dify=_handle_to_dify,
        handle_from_dify=_handle_from_dify,
    )
)
