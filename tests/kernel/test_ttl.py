"""The per-process TTL cache behind the published API's hot lookups."""

from __future__ import annotations

import asyncio

import pytest

from kernel.ttl import TTLCache


async def test_ttl_cache_loads_once_for_concurrent_callers() -> None:
    cache: TTLCache[str, int] = TTLCache(60)
    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return 42

    values = await asyncio.gather(*(cache.get("k", load) for _ in range(50)))
    assert values == [42] * 50
    assert calls == 1
    assert cache.peek("k") == 42


async def test_ttl_cache_reloads_after_expiry_and_forget() -> None:
    cache: TTLCache[str, int] = TTLCache(0.05)
    loads = iter([1, 2, 3])

    async def load() -> int:
        return next(loads)

    assert await cache.get("k", load) == 1
    assert await cache.get("k", load) == 1
    await asyncio.sleep(0.06)
    assert cache.peek("k") is None
    assert await cache.get("k", load) == 2
    cache.forget("k")
    assert await cache.get("k", load) == 3


async def test_ttl_cache_does_not_keep_errors() -> None:
    cache: TTLCache[str, int] = TTLCache(60)
    attempts = 0

    async def flaky() -> int:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise LookupError("first load fails")
        return 7

    with pytest.raises(LookupError):
        await cache.get("k", flaky)
    assert await cache.get("k", flaky) == 7


def test_ttl_cache_drops_oldest_when_full() -> None:
    cache: TTLCache[int, int] = TTLCache(60, max_entries=10)
    for i in range(11):
        cache.put(i, i)
    assert cache.peek(0) is None
    assert cache.peek(10) == 10
