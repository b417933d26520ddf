"""Per-key limits of the published API: requests a minute (WEFT_API_KEY_RPM) and runs at once
(WEFT_API_KEY_CONCURRENCY), counted in kernel.throttle (Redis when REDIS_URL is set). Past
either, the caller gets 429 `too_many_requests` with Retry-After; 0 lifts a limit."""

from __future__ import annotations

import asyncio
import math

from django.conf import settings

from builder.actions.run_requests import RunRequest
from builder.actions.runs import RunHandle, do_start_run
from builder.keys import KeyOwner
from kernel import throttle
from kernel.errors import ApiError

_releases: set[asyncio.Task[None]] = set()  # slot releases in flight (kept from the GC)


def _counter(owner: KeyOwner) -> str:
    return f"api-key:{owner.key_id}"


def too_many(message: str, retry_after_s: float) -> ApiError:
    """A 429 whose response carries Retry-After (whole seconds, at least 1)."""
    wait = max(1, math.ceil(retry_after_s))
    err = ApiError("too_many_requests", 429, message, retry_after=wait)
    err.headers["Retry-After"] = str(wait)
    return err


async def check_key_rate(owner: KeyOwner) -> None:
    """Count a request of this key; ApiError 429 once it is over WEFT_API_KEY_RPM."""
    per_minute = settings.WEFT_API_KEY_RPM
    if per_minute <= 0:
        return
    wait = await throttle.ahit(_counter(owner), throttle.Rate(per_minute, 60))
    if wait:
        raise too_many(f"this API key is limited to {per_minute} requests a minute", wait)


async def start_run_within_limit(owner: KeyOwner, req: RunRequest) -> RunHandle:
    """do_start_run holding one of the key's WEFT_API_KEY_CONCURRENCY run slots until the run
    ends; ApiError 429 when all are taken."""
    limit = settings.WEFT_API_KEY_CONCURRENCY
    if limit <= 0:
        return await do_start_run(req)
    slots = _counter(owner)
    if not await throttle.atake_slot(slots, limit):
        raise too_many(f"this API key may run {limit} requests at once", 1)
    try:
        handle = await do_start_run(req)
    except BaseException:
        await throttle.afree_slot(slots)
        raise

    def release(_: object) -> None:
        task = asyncio.ensure_future(throttle.afree_slot(slots))
        _releases.add(task)
        task.add_done_callback(_releases.discard)

    if handle.task is not None:  # do_start_run always starts it
        handle.task.add_done_callback(release)
    return handle
