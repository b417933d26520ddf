"""One writer thread per process that persists run logs in batches (group commit).

Runs hand it "started" rows and "finished" records; it writes whatever has queued up while the
previous transaction committed in one transaction of its own. Requests never wait on a database
write except for their own finished record (so a run's trace exists before its final event is
delivered), and SQLite never sees two writers fighting over its lock.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

from django.db import close_old_connections, transaction

log = logging.getLogger(__name__)
_MAX_BATCH = 500


Writer = Callable[[list[object]], None]


class LogWriter:
    """A FIFO of write jobs drained by one daemon thread, a batch per transaction."""

    def __init__(self, write_batch: Writer) -> None:
        self._write_batch = write_batch
        self._queue: queue.SimpleQueue[tuple[object, Future[None] | None]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, item: object, wait: bool = False) -> Future[None] | None:
        """Queue `item`; with `wait`, a future that resolves once it is committed."""
        self._ensure_thread()
        future: Future[None] | None = Future() if wait else None
        self._queue.put((item, future))
        return future

    async def write(self, item: object) -> None:
        """Queue `item` and wait (without blocking the loop) until it is committed."""
        future = self.submit(item, wait=True)
        assert future is not None  # noqa: S101  # submit(wait=True) always returns one
        await asyncio.wrap_future(future)

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._loop, name="weft-runlog", daemon=True
                    )
                    self._thread.start()

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < _MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._flush(batch)

    def _flush(self, batch: list[tuple[object, Future[None] | None]]) -> None:
        close_old_connections()
        try:
            self._commit([item for item, _ in batch])
            outcomes: list[BaseException | None] = [None] * len(batch)
        except Exception:  # find the bad item: the others still get written
            outcomes = [self._commit_alone(item) for item, _ in batch]
        for (_, future), error in zip(batch, outcomes, strict=True):
            if future is not None:
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)

    def _commit(self, items: list[object]) -> None:
        with transaction.atomic():
            self._write_batch(items)

    def _commit_alone(self, item: object) -> BaseException | None:
        try:
            self._commit([item])
        except Exception as exc:
            log.exception("could not write run log item %r", item)
            return exc
        return None
