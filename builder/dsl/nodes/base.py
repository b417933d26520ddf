"""How one Weft node type maps to one Dify node type: two functions, registered in a table.

`to_dify(config, ctx)` turns a Weft node's config (as stored: a draft's may be incomplete) into
the Dify node's `data` fields; `from_dify(data, ctx)` turns them back. Whatever Weft keeps that
Dify has no field for travels in `data.weft.config` (`weft_only` names such config keys, and a
mapping may keep other values with `ctx.keep`), so an export imports back to the same spec
while Dify ignores the extra key. The generic part (ids, titles, positions, containers, error
handling, edges) is the importer's and exporter's, never a mapping's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from builder.dsl.notes import Note
from runtime.nodes import registry
from runtime.nodes.base import field_defaults

Data = dict[str, Any]


@dataclass
class NodeCtx:
    """One node being mapped: its id and title, where warnings go, and the values kept for Weft
    in `data.weft.config` (filled by an export, read by an import)."""

    node_id: str
    title: str = ""
    notes: list[Note] = field(default_factory=list)
    kept: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # env secrets an import adds

    def warn(self, message: str, code: str = "dsl_changed") -> None:
        """Note what the import changed or left out of this node."""
        name = f"{self.title} ({self.node_id})" if self.title else self.node_id
        self.notes.append(Note(code, f"{name}: {message}", self.node_id))

    def add_secret(self, name: str, value: str) -> None:
        """Add a secret environment variable to the imported app (a key Dify had inline)."""
        self.secrets[name] = value

    def keep(self, key: str, value: Any) -> None:
        """Keep a Weft value that Dify has no field for."""
        self.kept[key] = value


ToDify = Callable[[Mapping[str, Any], NodeCtx], Data]
FromDify = Callable[[Mapping[str, Any], NodeCtx], Data]
HandleMap = Callable[[Mapping[str, Any], str], str]


def _same(data: Mapping[str, Any], handle: str) -> str:
    return handle


@dataclass(frozen=True)
class NodeMapping:
    """A Weft node type and its Dify counterpart."""

    weft_type: str
    dify_type: str
    to_dify: ToDify
    from_dify: FromDify
    weft_only: tuple[str, ...] = ()  # config keys Dify has no field for (kept in data.weft)
    outputs: Mapping[str, str] = field(default_factory=dict)  # Dify output → Weft's, if renamed
    canvas_type: str = "custom"  # the node's own `type` in Dify's graph (React Flow's)
    aliases: tuple[str, ...] = ()  # older Dify type names read as this one
    # a source handle as Dify names it (from the Weft config) and back (from the Dify data)
    handle_to_dify: HandleMap = _same
    handle_from_dify: HandleMap = _same


_BY_WEFT: dict[str, NodeMapping] = {}
_BY_DIFY: dict[str, NodeMapping] = {}


def register(mapping: NodeMapping) -> NodeMapping:
    """Add a mapping to the table (one per Weft type and per Dify type name)."""
    for table, keys in (
        (_BY_WEFT, (mapping.weft_type,)),
        (_BY_DIFY, (mapping.dify_type, *mapping.aliases)),
    ):
        for key in keys:
            if key in table:
                raise ValueError(f"{key} is mapped twice")
            table[key] = mapping
    return mapping


def mapped_weft_types() -> frozenset[str]:
    """The Weft types that have a Dify counterpart."""
    return frozenset(_BY_WEFT)


def by_weft(type_id: str) -> NodeMapping | None:
    """The mapping of a Weft type, None when Dify has no counterpart."""
    return _BY_WEFT.get(type_id)


def by_dify(dify_type: str) -> NodeMapping | None:
    """The mapping of a Dify type name, None when Weft has no counterpart."""
    return _BY_DIFY.get(dify_type)


# --- helpers for the mapping functions -------------------------------------------------------


def filled(type_id: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """A stored config with the defaults of the fields it leaves out (a draft may leave any)."""
    if not registry.has(type_id):
        return dict(config)
    return {**field_defaults(registry.get(type_id).config_model), **config}


def as_dict(value: Any) -> dict[str, Any]:
    """`value` if it is a mapping (a copy), else {}."""
    return dict(value) if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    """`value` if it is a list, else []."""
    return list(value) if isinstance(value, list) else []


def text(value: Any, default: str = "") -> str:
    """`value` if it is text, a number as text, else `default`."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return default


def selector(value: Any) -> list[str]:
    """`value` as a selector (a list of text), [] when it is none."""
    if isinstance(value, list | tuple) and all(isinstance(p, str) for p in value):
        return list(value)
    return []


def number(value: Any, default: float | None) -> float | None:
    """`value` if it is a number (or number text), else `default`."""
    if isinstance(value, bool):
        return default
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return default
    if isinstance(value, int | float) and math.isfinite(value):
        return value
    return default


def whole(value: Any, default: int) -> int:
    """`value` as a whole number, else `default`."""
    found = number(value, None)
    return int(found) if found is not None else default


def model_to_dify(model: Any, params: Mapping[str, Any]) -> Data:
    """Weft's {provider, name} and sampling settings as Dify's model block."""
    ref = as_dict(model)
    return {
        "provider": text(ref.get("provider")),
        "name": text(ref.get("name")),
        "mode": "chat",
        "completion_params": {k: v for k, v in params.items() if v is not None},
    }


def model_from_dify(model: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """Dify's model block as Weft's {provider, name} and its completion params."""
    block = as_dict(model)
    ref = {"provider": text(block.get("provider")), "name": text(block.get("name"))}
    return ref, as_dict(block.get("completion_params"))


def memory_to_dify(memory: Any, query: str) -> Data | None:
    """Weft's chat memory as Dify's memory block (None when off); `query` is the prompt Dify
    sends as the user's turn after the remembered ones."""
    mem = as_dict(memory)
    if not mem.get("enabled"):
        return None
    size = whole(mem.get("window"), 10)
    return {"window": {"enabled": True, "size": size}, "query_prompt_template": query}


def memory_from_dify(memory: Any) -> dict[str, Any]:
    """Dify's memory block as Weft's settings: on when there is one; a window Dify leaves open
    is Weft's largest (100 messages)."""
    if not isinstance(memory, Mapping):
        return {"enabled": False, "window": 10}
    window = as_dict(memory.get("window"))
    size = whole(window.get("size"), 100) if window.get("enabled") else 100
    return {"enabled": True, "window": max(1, min(size, 100))}


def template_of(value: Any) -> str:
    """A Dify parameter `{type, value}` (constant text or a variable) as Weft template text."""
    param = as_dict(value)
    if param.get("type") == "variable":
        found = selector(param.get("value"))
        return "{{#" + ".".join(found) + "#}}" if found else ""
    return text(param.get("value"))
