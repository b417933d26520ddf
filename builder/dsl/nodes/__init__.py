"""One mapping module per node family; importing this package fills the table
(`builder.dsl.nodes.base`). Weft types without a Dify counterpart go by `weft.py`."""

from builder.dsl.nodes import (  # noqa: F401  (imported to register)
    http,
    human,
    io,
    knowledge,
    llm,
    logic,
    tools,
    transform,
)
from builder.dsl.nodes.base import NodeCtx, NodeMapping, by_dify, mapped_weft_types
from builder.dsl.nodes.weft import weft_mapping, weft_only_mapping

__all__ = [
    "NodeCtx",
    "NodeMapping",
    "by_dify",
    "mapped_weft_types",
    "weft_mapping",
    "weft_only_mapping",
]
