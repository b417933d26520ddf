"""The run's metadata: every node's metadata lists joined by key (see RunFinished.metadata)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


class JoinedMetadata:
    """The lists of the nodes' metadata joined by key, in the order the nodes finished.

    An item equal to one an earlier node gave is not added again: a node that passes on
    another's items (an LLM citing the passages its context came from, as the knowledge node
    cited them) does not list them twice. Items a node gives itself are all kept.
    """

    __slots__ = ("_seen", "lists")

    def __init__(self) -> None:
        self.lists: dict[str, list[Any]] = {}
        self._seen: dict[str, set[str]] = {}

    def add(self, metadata: Mapping[str, Any]) -> None:
        """Join one node's metadata: its list values, by key; other values stay the node's."""
        for key, value in metadata.items():
            if not isinstance(value, list):
                continue
            seen = self._seen.setdefault(key, set())
            joined = self.lists.setdefault(key, [])
            keys = [_key(item) for item in value]
            joined.extend(item for item, k in zip(value, keys, strict=True) if k not in seen)
            seen.update(keys)


def _key(item: Any) -> str:
    """An item's identity for equality (JSON values; dicts equal whatever their key order)."""
    return json.dumps(item, sort_keys=True, default=str)
