"""One McpPool per event loop, so sessions are reused across the runs of that loop.

A pool serves the loop it was made on, so pools are kept by loop in a WeakKeyDictionary: a loop
that is gone takes its pool with it. Closing, and why it is robust with the ASGI lifespan off:
- idle sessions close themselves (the pool's `idle_s`);
- a loop run by `asyncio.run` (uvicorn, asgiref's `async_to_sync`) cancels its remaining tasks
  as it ends; cancelling a session's task leaves the SDK's client, which stops the server;
- at interpreter exit an `atexit` hook closes the pools of loops still open (Daphne's reactor, a
  loop in a daemon thread), on their own loop;
- and were the process killed outright, a stdio server reads end-of-file on its stdin and exits.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import threading
from weakref import WeakKeyDictionary

from django.conf import settings

from kernel.outbound import outbound_policy
from runtime.mcp import McpPool

CLOSE_AT_EXIT_S = 12.0
_pools: WeakKeyDictionary[asyncio.AbstractEventLoop, McpPool] = WeakKeyDictionary()
_lock = threading.Lock()


def loop_pool() -> McpPool:
    """The running loop's pool (made on first use), with the instance's current outbound policy
    for the sessions it opens from now on."""
    loop = asyncio.get_running_loop()
    with _lock:
        pool = _pools.get(loop)
        if pool is None:
            pool = _pools[loop] = McpPool(idle_s=settings.WEFT_MCP_IDLE_S)
    pool.policy = outbound_policy()
    return pool


def pools() -> dict[asyncio.AbstractEventLoop, McpPool]:
    """The live pools by loop."""
    with _lock:
        return dict(_pools.items())


@atexit.register
def _close_at_exit() -> None:
    """Stop the servers of pools whose loops are still open as the process exits."""
    for loop, pool in pools().items():
        if loop.is_closed():
            continue
        with contextlib.suppress(Exception):
            if loop.is_running():  # in another thread: close on it, and wait a while
                done = asyncio.run_coroutine_threadsafe(pool.aclose(), loop)
                done.result(timeout=CLOSE_AT_EXIT_S)
            else:
                loop.run_until_complete(pool.aclose())
