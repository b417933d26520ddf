"""A node's run settings against Dify's error handling on the node's data.

Retries are Dify's `retry_config` (retries after the first attempt, interval in ms); the
error strategy is Dify's `error_strategy` (`default-value` with `default_value` rows,
`fail-branch`). A timeout and a confirmation before the node runs have no Dify field and
travel in `data.weft.settings`, as does any setting a draft holds half-typed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from builder.dsl.nodes.base import Data, as_dict, as_list, number, text, whole

_STRATEGIES = {"default_value": "default-value", "fail_branch": "fail-branch"}
_FROM_DIFY = {dify: weft for weft, dify in _STRATEGIES.items()}


def _value_type(value: Any) -> str:
    """Dify's type name of a default value."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return "string"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "object"
    items = value if isinstance(value, list) else []
    if items and all(isinstance(i, int | float) and not isinstance(i, bool) for i in items):
        return "array[number]"
    if items and all(isinstance(i, dict) for i in items):
        return "array[object]"
    return "array[string]"


def settings_to_dify(settings: Mapping[str, Any]) -> tuple[Data, Data]:
    """(fields for the node's data, settings kept for Weft alone)."""
    kept = dict(settings)
    data: Data = {}
    retry = kept.pop("retry", None)
    if isinstance(retry, Mapping) and isinstance(retry.get("max_attempts", 1), int):
        attempts = retry.get("max_attempts", 1)
        data["retry_config"] = {
            "retry_enabled": attempts > 1,
            "max_retries": max(attempts - 1, 0),
            "retry_interval": round((number(retry.get("interval_s"), 0) or 0) * 1000),
        }
    elif retry is not None:
        kept["retry"] = retry
    strategy = kept.pop("error_strategy", "fail")
    defaults = kept.pop("default_outputs", {})
    if strategy in _STRATEGIES and isinstance(defaults, Mapping):
        data["error_strategy"] = _STRATEGIES[strategy]
        data["default_value"] = [
            {"key": key, "type": _value_type(value), "value": value}
            for key, value in defaults.items()
        ]
    elif strategy != "fail" or defaults:
        kept |= {"error_strategy": strategy, "default_outputs": defaults}
    return data, kept


def _value(row: Mapping[str, Any]) -> Any:
    """A default value row's value; Dify writes objects and lists as JSON text too."""
    value = row.get("value")
    if isinstance(value, str) and text(row.get("type")).startswith(("object", "array")):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def settings_from_dify(data: Mapping[str, Any], kept: Mapping[str, Any]) -> Data:
    """A node's Weft settings from its Dify data and what an export kept for Weft."""
    settings: Data = {}
    retry = as_dict(data.get("retry_config"))
    if retry.get("retry_enabled", retry.get("enabled")):
        settings["retry"] = {
            "max_attempts": max(1, min(whole(retry.get("max_retries"), 0) + 1, 10)),
            "interval_s": min((number(retry.get("retry_interval"), 0) or 0) / 1000, 60),
        }
    strategy = _FROM_DIFY.get(text(data.get("error_strategy")))
    if strategy is not None:
        settings["error_strategy"] = strategy
        rows = [as_dict(r) for r in as_list(data.get("default_value"))]
        settings["default_outputs"] = {text(r.get("key")): _value(r) for r in rows}
    return {**settings, **kept}
