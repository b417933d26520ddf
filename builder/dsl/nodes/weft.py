"""Weft node types that Dify has no counterpart for: exported under `weft:<type>` with their
config as it is, imported back only by Weft (Dify refuses such a node)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from builder.dsl.nodes.base import Data, NodeCtx, NodeMapping, as_dict, by_weft
from runtime.nodes import registry

PREFIX = "weft:"


def _to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    return {"config": dict(config)}


def _from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    return as_dict(data.get("config"))


def _own(type_id: str) -> NodeMapping:
    return NodeMapping(type_id, PREFIX + type_id, _to_dify, _from_dify)


def weft_mapping(type_id: str) -> NodeMapping:
    """The mapping of a Weft type: its Dify counterpart's, else one under `weft:<type>`."""
    return by_weft(type_id) or _own(type_id)


def weft_only_mapping(dify_type: str) -> NodeMapping | None:
    """The mapping of a `weft:<type>` node whose type is registered here and has no Dify
    counterpart, else None."""
    type_id = dify_type.removeprefix(PREFIX)
    if type_id == dify_type or not registry.has(type_id) or by_weft(type_id) is not None:
        return None
    return _own(type_id)
