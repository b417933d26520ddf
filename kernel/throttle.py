"""Throttles: windowed counters (a window opens at a key's first event) and concurrency slots
in Django's cache.

The cache is Redis when REDIS_URL is set (the counts then hold across processes and hosts) and
the per-process local-memory cache otherwise. A rate is written "count/period", e.g. "10/5m"
or "600/m"; "0" or an empty string means no limit. The async helpers call the local cache
directly (it never waits on I/O) and Redis from a worker thread.
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from asgiref.sync import sync_to_async
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache

_RATE = re.compile(r"(\d+)/(\d*)([smh])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600}
SLOT_TTL_S = 3600  # a slot a crashed process never released is freed after this long
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `count` events per `period_s` seconds."""

    count: int
    period_s: int


def parse_rate(text: str) -> Rate | None:
    """A rate from "count/period" ("10/5m", "600/m", "5/30s"); None for "0" or "" (no limit)."""
    text = text.strip()
    if text in ("", "0"):
        return None
    match = _RATE.fullmatch(text)
    if match is None:
        raise ValueError(f"a rate is written count/period, e.g. 10/5m, not {text!r}")
    count, times, unit = match.groups()
    period = int(times or 1) * _UNIT_S[unit]
    return Rate(int(count), period) if int(count) > 0 and period > 0 else None


def _start_key(key: str, rate: Rate) -> str:
    return f"weft-throttle-start:{key}:{rate.period_s}"


def _window(key: str, rate: Rate) -> tuple[str, float]:
    """The counter of `key`'s current window and the seconds left in it. A window starts at the
    key's first event (not at a clock boundary, where a fixed grid would let twice the rate
    through and would reset a count half-way through a burst) and lasts the rate's period."""
    now = time.time()
    opened = cache.get_or_set(_start_key(key, rate), now, timeout=rate.period_s)
    start = now if opened is None else float(opened)  # None only if it expired in between
    return _counter(key, rate, start), max(start + rate.period_s - now, 0.0)


def _counter(key: str, rate: Rate, start: float) -> str:
    return f"weft-throttle:{key}:{rate.period_s}:{start!r}"


def peek(key: str, rate: Rate) -> float:
    """Seconds to wait before `key` may act again (0 while under the rate); counts nothing."""
    start = cache.get(_start_key(key, rate))
    if start is None:  # no window open: nothing counted
        return 0.0
    left = max(float(start) + rate.period_s - time.time(), 0.0)
    return left if int(cache.get(_counter(key, rate, float(start)), 0)) >= rate.count else 0.0


def _count(name: str, timeout: int) -> int:
    """Add one to a counter (created at 1 with `timeout`); one cache call when it exists."""
    for _ in range(3):
        try:
            return int(cache.incr(name))
        except ValueError:  # not there yet (or just expired): create it, unless someone did
            if cache.add(name, 1, timeout=timeout):
                return 1
    raise RuntimeError(f"the cache would neither increment nor create {name}")


def hit(key: str, rate: Rate) -> float:
    """Count one event for `key`; the seconds to wait when it is over the rate, else 0."""
    name, left = _window(key, rate)
    return left if _count(name, math.ceil(left) + 1) > rate.count else 0.0


def take_slot(key: str, limit: int) -> bool:
    """Take one of `limit` concurrent slots for `key` (False when all are taken)."""
    name = f"weft-slots:{key}"
    if _count(name, SLOT_TTL_S) > limit:
        cache.decr(name)
        return False
    return True


def free_slot(key: str) -> None:
    """Give back a slot taken with `take_slot`."""
    with contextlib.suppress(ValueError):  # expired: nothing to give back
        cache.decr(f"weft-slots:{key}")


async def _call(func: Callable[..., T], *args: object) -> T:
    if isinstance(caches["default"], LocMemCache):
        return func(*args)
    return await sync_to_async(func, thread_sensitive=False)(*args)


async def ahit(key: str, rate: Rate) -> float:
    """`hit` from async code."""
    return await _call(hit, key, rate)


async def atake_slot(key: str, limit: int) -> bool:
    """`take_slot` from async code."""
    return await _call(take_slot, key, limit)


async def afree_slot(key: str) -> None:
    """`free_slot` from async code."""
    await _call(free_slot, key)
