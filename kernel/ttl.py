"""A small per-process cache with a time to live and single-flight loading.

The hot lookups of the published API (key → app, app → newest version, workspace → model
providers) are read on every call and change rarely. Entries live `ttl_s` seconds, so a change
made in another process is seen within that time; a change made here is forgotten at once. When
an entry expires under load, one load runs and every concurrent caller awaits it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """Key → value for `ttl_s` seconds; `get` loads a missing value once for all callers."""

    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._data: dict[K, tuple[float, V]] = {}
        self._loading: dict[K, asyncio.Future[V]] = {}

    def peek(self, key: K) -> V | None:
        """The value while it is fresh, without I/O."""
        hit = self._data.get(key)
        return hit[1] if hit is not None and time.monotonic() - hit[0] < self.ttl_s else None

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The fresh value, or the result of one shared `load()` (its errors are not cached)."""
        if (value := self.peek(key)) is not None:
            return value
        pending = self._loading.get(key)
        if pending is None:
            pending = self._loading[key] = asyncio.ensure_future(load())
            pending.add_done_callback(lambda _: self._loading.pop(key, None))
        value = await asyncio.shield(pending)
        self.put(key, value)
        return value

    def put(self, key: K, value: V) -> None:
        """Store a value (the oldest entries go when the cache is full)."""
        if len(self._data) >= self.max_entries:
            for old in list(self._data)[: self.max_entries // 10]:
                del self._data[old]
        self._data[key] = (time.monotonic(), value)

    def forget(self, key: K) -> None:
        """Drop an entry after a change made in this process."""
        self._data.pop(key, None)
