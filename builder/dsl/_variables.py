"""An app's environment and conversation variables against Dify's lists of them.

Dify exports a secret environment variable with an empty value unless asked to include
secrets; `include_secrets` here does the same with the values a caller decrypted.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from builder.dsl.nodes.base import Data, as_dict, as_list, text
from builder.dsl.notes import Note
from runtime.spec import WorkflowSpec

_EMPTY: dict[str, Any] = {"string": "", "number": 0, "boolean": False, "object": {}}


def _empty(kind: str) -> Any:
    """The empty value of a conversation variable's type (what Weft's null default means)."""
    return [] if kind.startswith("array") else _EMPTY.get(kind, "")


def _id(scope: str, name: str) -> str:
    """A stable id for a variable (Dify's variables have one; Weft's are known by name)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"weft:{scope}:{name}"))


def env_to_dify(spec: WorkflowSpec, include_secrets: bool) -> list[Data]:
    """The spec's environment variables as Dify's; secret values only if `include_secrets`."""
    out = []
    for var in spec.env:
        value = var.run_value()
        if var.type == "secret" and not include_secrets:
            value = ""
        out.append(
            {
                "id": _id("env", var.name),
                "name": var.name,
                "value": value,
                "value_type": var.type,
                "description": "",
                "selector": ["env", var.name],
            }
        )
    return out


def env_from_dify(rows: Any, notes: list[Note]) -> list[Data]:
    """Dify's environment variables as Weft's (a type Weft lacks is text, with a note)."""
    out = []
    for raw in as_list(rows):
        var = as_dict(raw)
        kind = text(var.get("value_type"), "string")
        if kind not in ("string", "number", "secret"):
            notes.append(
                Note(
                    "dsl_changed",
                    f"environment variable {text(var.get('name'))} is a Dify {kind}; Weft keeps"
                    " it as text",
                    field="env",
                )
            )
            kind = "string"
        value = var.get("value")
        out.append({"name": text(var.get("name")), "type": kind, "value": _env_value(value)})
    return out


def _env_value(value: Any) -> str | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return text(value)


def conversation_to_dify(spec: WorkflowSpec) -> list[Data]:
    """The spec's conversation variables as Dify's (a null default is the type's empty value)."""
    return [
        {
            "id": _id("conversation", var.name),
            "name": var.name,
            "value_type": var.type,
            "value": _empty(var.type) if var.default is None else var.default,
            "description": var.description,
            "selector": ["conversation", var.name],
        }
        for var in spec.conversation_variables
    ]


def conversation_from_dify(rows: Any) -> list[Data]:
    """Dify's conversation variables as Weft's (a value equal to the type's empty one is null)."""
    out = []
    for raw in as_list(rows):
        var = as_dict(raw)
        kind = text(var.get("value_type"), "string")
        value = var.get("value")
        out.append(
            {
                "name": text(var.get("name")),
                "type": kind,
                "default": None if value is None or value == _empty(kind) else value,
                "description": text(var.get("description")),
            }
        )
    return out


def secret_env(found: Mapping[str, str]) -> list[Data]:
    """Secret environment variables that an import moved inline keys to."""
    return [{"name": name, "type": "secret", "value": value} for name, value in found.items()]
