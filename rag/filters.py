"""Metadata filters: which documents a search may return."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence

from rag import errors
from rag.types import Document, MetadataFilter, MetadataValue

_COMPARE: dict[str, Callable[[MetadataValue, MetadataValue], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "contains": lambda have, want: str(want).lower() in str(have).lower(),
}
OPS = (*_COMPARE, "in")


def check_filters(filters: Sequence[MetadataFilter], documents: Iterable[Document]) -> None:
    """MetadataKeyError for a filter on a key no document has; SettingsError for a bad op."""
    keys = {key for document in documents for key in document.metadata}
    for number, f in enumerate(filters):
        field = f"filters[{number}]"
        if f.op not in OPS:
            raise errors.SettingsError(
                f"{field}.op", f"unknown operator {f.op!r}; use one of {', '.join(OPS)}"
            )
        if f.key not in keys:
            known = ", ".join(sorted(keys)) or "none"
            raise errors.MetadataKeyError(
                f"{field}.key", f"no document has the metadata key {f.key!r} (keys: {known})"
            )


def matches(document: Document, filters: Sequence[MetadataFilter]) -> bool:
    """Whether the document passes every filter (a missing key or mismatched type fails it)."""
    return all(_match(document, f) for f in filters)


def _match(document: Document, f: MetadataFilter) -> bool:
    if f.key not in document.metadata:
        return False
    have = document.metadata[f.key]
    if f.op == "in":
        wanted = f.value if isinstance(f.value, tuple) else (f.value,)
        return have in wanted
    if isinstance(f.value, tuple):
        return False
    try:
        return _COMPARE[f.op](have, f.value)
    except TypeError:  # "2024" > 2023: a string and a number do not compare
        return False
