"""A small pool of warm worker processes for CPU-bound node work, off the event loop.

A job is a top-level function and its (picklable) arguments. `Sandbox.call` sends it to an idle
worker over a pipe and waits for the answer without blocking the loop (the pipe is watched with
`add_reader`), so the round trip costs two pickles and two pipe writes. When the time limit
passes, or the awaiting task is cancelled (e.g. by the node's timeout), the worker process is
killed and a fresh one replaces it on demand: the work really stops. Workers are fresh
interpreters (`python -m runtime._sandbox_worker`, never a fork of the server) that import only
what their jobs need and cap their own address space, so a job that allocates without bound
fails with MemoryError instead of taking the host's memory.

The pool may be used from several event loops and threads; only the idle list is shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from runtime.errors import NodeTimeoutError, SandboxCrashedError

T = TypeVar("T")

DEFAULT_MEMORY_BYTES = 1024 * 1024 * 1024
DEFAULT_PRELOAD = ("runtime._render",)


def _settle(answer: asyncio.Future[None], timeout_s: float | None) -> None:
    """Wake the caller: the pipe is readable (None) or the time limit passed."""
    if answer.done():
        return
    if timeout_s is None:
        answer.set_result(None)
    else:
        answer.set_exception(
            NodeTimeoutError(f"the job ran longer than {timeout_s:g} s and was stopped")
        )


class _Worker:
    __slots__ = ("incoming", "outgoing", "process")

    def __init__(
        self, process: subprocess.Popen[bytes], outgoing: Connection, incoming: Connection
    ) -> None:
        self.process, self.outgoing, self.incoming = process, outgoing, incoming

    def kill(self) -> None:
        """Stop the process now and reap it in the background."""
        self.outgoing.close()
        self.incoming.close()
        if self.process.poll() is None:
            self.process.kill()
        threading.Thread(target=self.process.wait, daemon=True).start()


def _start_worker(memory_bytes: int, preload: Sequence[str]) -> _Worker:
    """Start one worker process connected by two pipes."""
    job_r, job_w = os.pipe()
    reply_r, reply_w = os.pipe()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    argv = [sys.executable, "-m", "runtime._sandbox_worker", str(job_r), str(reply_w)]
    try:
        process = subprocess.Popen(  # noqa: S603  (our own interpreter and module, no shell)
            [*argv, str(memory_bytes), *preload], pass_fds=(job_r, reply_w), env=env
        )
    except BaseException:
        for fd in (job_r, job_w, reply_r, reply_w):
            os.close(fd)
        raise
    os.close(job_r)
    os.close(reply_w)
    return _Worker(process, Connection(job_w, readable=False), Connection(reply_r, writable=False))


class Sandbox:
    """A pool of at most `size` worker processes; `call` runs one job in one of them."""

    def __init__(
        self,
        size: int = 2,
        memory_bytes: int = DEFAULT_MEMORY_BYTES,
        preload: Sequence[str] = DEFAULT_PRELOAD,
    ) -> None:
        self.size = size
        self.memory_bytes = memory_bytes
        self.preload = tuple(preload)
        self._lock = threading.Lock()
        self._idle: deque[_Worker] = deque()
        self._busy = 0  # workers handed out (or being started)
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()

    async def call(self, fn: Callable[..., T], *args: Any, timeout_s: float) -> T:
        """Run `fn(*args)` in a worker; NodeTimeoutError (worker killed) after `timeout_s`."""
        worker = await self._acquire()
        try:
            status, value = await self._ask(worker, (fn, args), timeout_s)
        except BaseException:  # timed out, cancelled or crashed: the work must really stop
            worker.kill()
            self._release(None)
            raise
        if status == "error" and isinstance(value, MemoryError):
            worker.kill()  # it exits by itself; its heap may be in any state
            self._release(None)
        else:
            self._release(worker)
        if status == "error":
            raise value
        return value  # type: ignore[no-any-return]  # the function's result, unpickled

    async def _ask(self, worker: _Worker, job: tuple[Any, ...], timeout_s: float) -> Any:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[None] = loop.create_future()
        fd = worker.incoming.fileno()
        loop.add_reader(fd, _settle, answer, None)
        timer = loop.call_later(timeout_s, _settle, answer, timeout_s)
        try:
            worker.outgoing.send(job)
            await answer
        finally:
            timer.cancel()
            loop.remove_reader(fd)
        try:
            return worker.incoming.recv()
        except (EOFError, OSError):
            raise SandboxCrashedError("the sandbox worker died while running the job") from None

    async def _acquire(self) -> _Worker:
        while True:
            with self._lock:
                if self._idle:
                    self._busy += 1
                    return self._idle.popleft()
                if self._busy < self.size:
                    self._busy += 1
                    break
                loop = asyncio.get_running_loop()
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.append((loop, waiter))
            try:
                await waiter
            except BaseException:  # cancelled while waiting: pass on a wake-up we were given
                with self._lock, contextlib.suppress(ValueError):
                    self._waiters.remove((loop, waiter))
                if waiter.done() and not waiter.cancelled():
                    self._wake_one()
                raise
        try:
            return await asyncio.to_thread(_start_worker, self.memory_bytes, self.preload)
        except BaseException:
            self._release(None)
            raise

    def _release(self, worker: _Worker | None) -> None:
        """Give a worker back (None: it was killed or never started) and wake one waiter."""
        with self._lock:
            self._busy -= 1
            if worker is not None:
                self._idle.append(worker)
        self._wake_one()

    def _wake_one(self) -> None:
        """Wake the longest waiting caller, if any (it then takes a worker or starts one)."""
        with self._lock:
            waiter = self._waiters.popleft() if self._waiters else None
        if waiter is not None:
            loop, fut = waiter
            with contextlib.suppress(RuntimeError):  # that loop has closed
                loop.call_soon_threadsafe(_wake, fut)

    def warm(self) -> None:
        """Start one idle worker now, so the first job does not wait for a process start."""
        with self._lock:
            if self._idle or self._busy >= self.size:
                return
            self._busy += 1
        try:
            worker = _start_worker(self.memory_bytes, self.preload)
        except BaseException:
            self._release(None)
            raise
        self._release(worker)

    def close(self) -> None:
        """Kill every idle worker (busy ones are killed when their job ends or is cancelled)."""
        with self._lock:
            idle, self._idle = list(self._idle), deque()
        for worker in idle:
            worker.kill()


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


_default: Sandbox | None = None
_default_lock = threading.Lock()


def get_sandbox() -> Sandbox:
    """The process-wide sandbox (created on first use, sized to the machine, at most 4)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox(size=max(1, min(4, os.cpu_count() or 1)))
        return _default
