"""A per-node timeout that costs nothing for nodes that never suspend.

The node's coroutine is stepped once by hand. If it finishes without suspending, no timer is
armed; otherwise a timer is armed for the remaining time (measured from the node's start) and the
coroutine is driven to the end by a forwarding generator, so a timed-out node is cancelled at the
await point where it waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

from runtime.errors import NodeTimeoutError

T = TypeVar("T")


def _expire(task: asyncio.Task[Any], fired: list[bool]) -> None:
    fired.append(True)
    task.cancel()


def _forward(coro: Coroutine[Any, Any, T], first: Any) -> Generator[Any, Any, T]:
    """Drive `coro` on behalf of the awaiting task, starting from its first yielded value."""
    value = first
    while True:
        try:
            sent = yield value
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:
            try:
                value = coro.throw(exc)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]  # the coroutine's result
        else:
            try:
                value = coro.send(sent)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]  # the coroutine's result


class _Await:
    __slots__ = ("coro", "first")

    def __init__(self, coro: Coroutine[Any, Any, Any], first: Any) -> None:
        self.coro, self.first = coro, first

    def __await__(self) -> Generator[Any, Any, Any]:
        return _forward(self.coro, self.first)


async def run_with_timeout(
    coro: Coroutine[Any, Any, T], deadline: float, node_id: str, stopping: list[bool]
) -> T:
    """Await `coro`, raising NodeTimeoutError if it is still running at loop time `deadline`.

    `stopping` is a one-slot flag: when its first item is true the cancellation is the run's own
    (stop or failure) and is re-raised rather than turned into a timeout.
    """
    try:
        first = coro.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]  # the coroutine's result
    except BaseException:
        raise
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    if task is None:  # pragma: no cover  (the engine always runs nodes inside tasks)
        raise RuntimeError("run_with_timeout needs a task")
    fired: list[bool] = []
    handle = loop.call_at(deadline, _expire, task, fired)
    try:
        result: T = await _Await(coro, first)
        return result
    except asyncio.CancelledError:
        if fired and not stopping[0]:
            task.uncancel()
            raise NodeTimeoutError(f"node {node_id} ran longer than its timeout") from None
        raise
    finally:
        handle.cancel()
