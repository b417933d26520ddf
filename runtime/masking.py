"""Masking of secret values: what a run emits never carries an env variable of type secret.

The engine masks every value that can leave a run (node inputs and outputs, errors, streamed
deltas, answers, run outputs) here, once, so every consumer (trace, WebSocket, Service API, CLI)
gets masked events. The variable pool keeps the real values: nodes still use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from runtime.variables import ENV_SCOPE

if TYPE_CHECKING:
    from runtime.compile import CompiledGraph

MASK = "******"


def secret_readers(graph: CompiledGraph) -> frozenset[str]:
    """Ids of the nodes that read a secret env variable (published streams omit their inputs),
    the nodes inside containers too."""
    if not graph.secrets:
        return frozenset()
    plans = [*graph.plans.values()] + [
        p for c in graph.containers.values() for p in c.plans.values()
    ]
    return frozenset(
        plan.node_id
        for plan in plans
        if any(
            len(sel) > 1 and sel[0] == ENV_SCOPE and sel[1] in graph.secrets for _, sel in plan.refs
        )
    )


class Masker:
    """Replaces each occurrence of a secret value, in text or inside JSON-like values, by MASK."""

    __slots__ = ("_secrets",)

    def __init__(self, secrets: Iterable[str]) -> None:
        # longest first, so that a secret containing another one is masked whole
        self._secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def text(self, text: str) -> str:
        """`text` with every secret masked."""
        return _scan(text, self._secrets, hold=False)[0]

    def value(self, value: Any) -> Any:
        """A copy of a JSON-like value with every secret inside its strings masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value

    def stream(self) -> StreamMasker:
        """A masker for text that arrives in pieces (an LLM's deltas)."""
        return StreamMasker(self._secrets)


class StreamMasker:
    """Masks secrets in streamed text, holding back a tail that could be the start of one."""

    __slots__ = ("_pending", "_secrets")

    def __init__(self, secrets: tuple[str, ...]) -> None:
        self._secrets = secrets
        self._pending = ""

    def feed(self, piece: str) -> str:
        """The masked text that is safe to show now ("" while a secret may be under way)."""
        out, self._pending = _scan(self._pending + piece, self._secrets, hold=True)
        return out

    def flush(self) -> str:
        """What is still held back (no secret can complete any more)."""
        out, self._pending = self._pending, ""
        return out


def _scan(text: str, secrets: tuple[str, ...], *, hold: bool) -> tuple[str, str]:
    """(masked text, held-back tail): leftmost occurrences are masked first; with `hold`, the
    longest tail after the last occurrence that is a proper prefix of a secret is held back."""
    parts: list[str] = []
    pos = 0
    while True:
        hits = [(at, -len(s)) for s in secrets if (at := text.find(s, pos)) >= 0]
        if not hits:
            break
        at, neg_len = min(hits)
        parts += [text[pos:at], MASK]
        pos = at - neg_len
    keep = 0
    if hold:
        for s in secrets:
            for k in range(min(len(s) - 1, len(text) - pos), keep, -1):
                if text.endswith(s[:k]):
                    keep = k
                    break
    cut = len(text) - keep
    parts.append(text[pos:cut])
    return "".join(parts), text[cut:]
