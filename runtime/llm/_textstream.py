"""Incremental detokenisation with stop strings: emit only text that can no longer change."""

from __future__ import annotations

from typing import Any

_REPLACEMENT = "\ufffd"  # what a tokenizer decodes half a UTF-8 character to


class TextTracker:
    """Turns a growing list of token ids into safe text deltas, cutting at the first stop string."""

    def __init__(self, tokenizer: Any, stops: tuple[str, ...] = ()) -> None:
        self._tokenizer = tokenizer
        self._stops = tuple(s for s in stops if s)
        self._longest = max((len(s) for s in self._stops), default=0)
        self.ids: list[int] = []
        self._sent = 0  # characters of the decoded text already handed out
        self._text = ""

    def add(self, token_id: int) -> tuple[str, bool]:
        """Append a token; return (new safe text, whether a stop string was reached)."""
        self.ids.append(token_id)
        self._text = self._tokenizer.decode(
            self.ids, skip_special_tokens=True, clean_up_tokenization_spaces=False
        )
        cut = self._find_stop()
        if cut is not None:
            return self._take(cut), True
        safe = len(self._text.rstrip(_REPLACEMENT))
        return self._take(self._hold_back(safe)), False

    def flush(self) -> str:
        """Whatever is left once generation ends without a stop string."""
        return self._take(len(self._text))

    def _take(self, end: int) -> str:
        delta = self._text[self._sent : end] if end > self._sent else ""
        self._sent = max(self._sent, end)
        return delta

    def _find_stop(self) -> int | None:
        if not self._stops:
            return None
        start = max(0, self._sent - self._longest)
        hits = [i for s in self._stops if (i := self._text.find(s, start)) >= 0]
        return min(hits) if hits else None

    def _hold_back(self, end: int) -> int:
        """Keep back a tail of text[:end] that could still grow into a stop string."""
        for k in range(min(self._longest - 1, end - self._sent), 0, -1):
            tail = self._text[end - k : end]
            if any(s.startswith(tail) for s in self._stops):
                return end - k
        return end
