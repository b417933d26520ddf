"""Variable pool and Dify-style references: `{{#node_id.field#}}` in text, selectors in fields."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from runtime.errors import VariableNotFoundError

Selector = tuple[str, ...]
Segment = str | Selector  # literal text, or a selector to render in its place

SYS_SCOPE = "sys"
ENV_SCOPE = "env"
CONVERSATION_SCOPE = "conversation"  # a chat app's conversation variables (runtime.conversation)
# The system variables of each app mode and their types (what a run fills in, as in Dify).
_SYS_COMMON = {
    "user_id": "string",
    "app_id": "string",
    "workflow_run_id": "string",
    "files": "array",
}
SYS_VARIABLES: Mapping[str, Mapping[str, str]] = {
    "chat": {
        "query": "string",
        "conversation_id": "string",
        "dialogue_count": "number",
        **_SYS_COMMON,
    },
    "workflow": _SYS_COMMON,
}
SYS_FIELDS = frozenset(f for fields in SYS_VARIABLES.values() for f in fields)
REFERENCE_RE = re.compile(r"\{\{#([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+){1,10})#\}\}")
_MISSING = object()


class VariablePool:
    """Values a run has so far, keyed by (node_id, field), plus the `sys`, `env` and
    `conversation` scopes. The conversation scope is the mapping given, not a copy: the run's
    variable assigners write it, and every fork shares it."""

    __slots__ = ("_scopes",)

    def __init__(
        self,
        sys: Mapping[str, Any] | None = None,
        env: Mapping[str, Any] | None = None,
        conversation: Mapping[str, Any] | None = None,
    ) -> None:
        self._scopes: dict[str, Mapping[str, Any]] = {
            SYS_SCOPE: dict(sys or {}),
            ENV_SCOPE: dict(env or {}),
            CONVERSATION_SCOPE: {} if conversation is None else conversation,
        }

    def fork(self) -> VariablePool:
        """A pool that starts with this one's values; what is stored in it stays in it (one run
        of a container's sub-graph, so parallel items never see each other's outputs)."""
        pool = VariablePool.__new__(VariablePool)
        pool._scopes = dict(self._scopes)
        return pool

    def set_outputs(self, node_id: str, outputs: Mapping[str, Any]) -> None:
        """Store every output of a node (replaces what the node stored before)."""
        self._scopes[node_id] = outputs

    def set(self, selector: Sequence[str], value: Any) -> None:
        """Store one value at (node_id, field)."""
        node_id, field = selector[0], selector[1]
        scope = dict(self._scopes.get(node_id, {}))
        scope[field] = value
        self._scopes[node_id] = scope

    def outputs(self, node_id: str) -> Mapping[str, Any] | None:
        """All outputs of a node, or None when it has not produced any."""
        return self._scopes.get(node_id)

    def lookup(self, selector: Sequence[str], default: Any = None) -> Any:
        """The value at `selector` (nested keys walk into dicts/lists), or `default`."""
        value: Any = self._scopes.get(selector[0], _MISSING)
        for key in selector[1:]:
            if isinstance(value, Mapping):
                value = value.get(key, _MISSING)
            elif (
                isinstance(value, list)
                and key.isascii()
                and key.isdigit()
                and int(key) < len(value)
            ):
                value = value[int(key)]
            else:
                return default
            if value is _MISSING:
                return default
        return default if value is _MISSING else value

    def get(self, selector: Sequence[str]) -> Any:
        """The value at `selector`; raises VariableNotFoundError when it is absent."""
        value = self.lookup(selector, _MISSING)
        if value is _MISSING:
            raise VariableNotFoundError(".".join(selector))
        return value

    def has(self, selector: Sequence[str]) -> bool:
        """Whether `selector` names a stored value."""
        return self.lookup(selector, _MISSING) is not _MISSING


def nest_values(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Values given by dotted selector, nested by scope: {"a.b.c": 1} → {"a": {"b": {"c": 1}}}."""
    scopes: dict[str, dict[str, Any]] = {}
    for dotted, value in values.items():
        scope, *path = dotted.split(".")
        if not path:
            raise ValueError(f"{dotted!r} is not a selector (node_id.field)")
        target = scopes.setdefault(scope, {})
        for key in path[:-1]:
            inner = target.get(key)
            if not isinstance(inner, dict):
                inner = target[key] = {}
            target = inner
        target[path[-1]] = value
    return scopes


def to_text(value: Any) -> str:
    """Render a value into template text: None → "", dict/list/bool → JSON, the rest → str."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, dict | list | tuple | bool):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


@lru_cache(maxsize=4096)
def parse_template(template: str) -> tuple[Segment, ...]:
    """Split a template into literal strings and selectors, in order."""
    out: list[Segment] = []
    pos = 0
    for match in REFERENCE_RE.finditer(template):
        if match.start() > pos:
            out.append(template[pos : match.start()])
        out.append(tuple(match.group(1).split(".")))
        pos = match.end()
    if pos < len(template):
        out.append(template[pos:])
    return tuple(out)


def extract_references(template: str) -> list[Selector]:
    """Every selector referenced by `{{#...#}}` in a template, in order, without duplicates."""
    seen: dict[Selector, None] = {}
    for seg in parse_template(template):
        if isinstance(seg, tuple):
            seen.setdefault(seg, None)
    return list(seen)


def render_segments(segments: Iterable[Segment], pool: VariablePool) -> str:
    """Render parsed segments; a missing variable renders as ""."""
    return "".join(seg if isinstance(seg, str) else to_text(pool.lookup(seg)) for seg in segments)


def render(template: str, pool: VariablePool) -> str:
    """Replace each `{{#node_id.field#}}` in `template` with its value from `pool`."""
    if "{{#" not in template:
        return template
    return render_segments(parse_template(template), pool)
