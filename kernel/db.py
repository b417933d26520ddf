"""Database access from async code: executor threads that keep their connections.

Long-lived threads (executor threads, the run-log writer) keep their connections across calls;
each call first drops the ones that broke, as Django does at the start of a request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import connections

P = ParamSpec("P")
R = TypeVar("R")


def drop_broken_connections() -> None:
    """Close this thread's connections that saw an error and no longer work.

    Long-lived threads (executor threads, the run-log writer) keep their connections across
    calls; this is Django's start-of-request check without the CONN_MAX_AGE expiry.
    """
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and conn.errors_occurred:
            if conn.is_usable():
                conn.errors_occurred = False
            else:
                conn.close()


async def db_call(func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a sync DB function in an executor thread (which keeps its connection)."""

    def call() -> R:
        drop_broken_connections()
        return func(*args, **kwargs)

    return await sync_to_async(call, thread_sensitive=False)()
