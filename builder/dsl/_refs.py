"""Variable references across the two formats.

Both write a reference as `{{#node_id.field#}}` in text and as a `[node_id, field]` selector in
structured fields, with the `sys`, `env` and `conversation` scopes, so most references carry
over unchanged. What changes: a node id Weft cannot hold (imported under a new id), and the
outputs a type names otherwise (Dify's parameter extractor says `__is_success`, Weft's
`is_success`). `rewrite` renames both wherever they occur in a node's data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Any `{{#a.b#}}`: the importer renames ids that Weft's stricter pattern would not match.
_REFERENCE = re.compile(r"\{\{#([^#{}\s]+?)#\}\}")
_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


class Renames:
    """Node ids to rename, and outputs to rename per node id."""

    def __init__(
        self,
        ids: Mapping[str, str] | None = None,
        outputs: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.ids = dict(ids or {})
        self.outputs = {k: dict(v) for k, v in (outputs or {}).items() if v}

    def __bool__(self) -> bool:
        return bool(self.ids or self.outputs)

    def path(self, parts: list[str]) -> list[str]:
        """A selector's parts renamed (its node id, then that node's output)."""
        if len(parts) < 2:
            return parts
        head, field = parts[0], parts[1]
        new_field = self.outputs.get(head, {}).get(field, field)
        return [self.ids.get(head, head), new_field, *parts[2:]]

    def touches(self, parts: list[str]) -> bool:
        """Whether `parts` is a selector these renames change."""
        return len(parts) >= 2 and self.path(parts) != parts


def rewrite(value: Any, renames: Renames) -> Any:
    """`value` with every reference renamed: in text, and in lists of text that are selectors
    of a renamed node or output (a constant list that looks like one is renamed too: rare)."""
    if not renames:
        return value
    if isinstance(value, str):
        if "{{#" not in value:
            return value
        return _REFERENCE.sub(
            lambda m: "{{#" + ".".join(renames.path(m.group(1).split("."))) + "#}}", value
        )
    if isinstance(value, list):
        if value and all(isinstance(p, str) for p in value) and renames.touches(value):
            return renames.path(value)
        return [rewrite(v, renames) for v in value]
    if isinstance(value, Mapping):
        return {k: rewrite(v, renames) for k, v in value.items()}
    return value


def weft_ids(ids: list[str]) -> dict[str, str]:
    """New ids for the node ids Weft cannot hold (letters, digits, _ and -, at most 64): the
    others' characters replaced by _, cut to length, made unique."""
    taken = {i for i in ids if _ID.match(i)}
    renamed: dict[str, str] = {}
    for old in ids:
        if old in renamed or _ID.match(old):
            continue
        base = (re.sub(r"[^A-Za-z0-9_\-]", "_", old) or "node")[:60]
        new, n = base, 1
        while new in taken:
            n += 1
            new = f"{base}_{n}"
        taken.add(new)
        renamed[old] = new
    return renamed
