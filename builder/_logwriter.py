"""One writer thread per process that persists run logs in batches (group commit).

Runs hand it a "started" row and, at the end, their finished record. It writes whatever has
queued up while the previous transaction committed, in one transaction. A started row is held
back for `HOLD_S`: a run that finishes by then is inserted once, in its final state, so a short
run costs one INSERT instead of an INSERT and an UPDATE; a longer one shows up as running.
Requests never wait on a database write except for their own finished record (so a run's trace
exists before its final event is delivered), and SQLite never sees writers fight over its lock.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from django.db import connection, transaction

from kernel.db import drop_broken_connections

log = logging.getLogger(__name__)
_MAX_BATCH = 500
HOLD_S = 0.05
CHECKPOINT_S = 10.0

# (started items whose hold is over, finished items) → writes them
Writer = Callable[[list[object], list[object]], None]
_Job = tuple[object, bool, "Future[None] | None"]  # (item, is_start, future)


class LogWriter:
    """A FIFO of started/finished items drained by one daemon thread, a batch per transaction."""

    def __init__(
        self,
        write_batch: Writer,
        is_done: Callable[[object], bool],
        on_start: Callable[[], object] | None = None,
        describe: Callable[[object], str] = lambda item: type(item).__name__,
    ) -> None:
        self._write_batch = write_batch
        self._describe = describe  # names an item in the log (its ids, never its values)
        self._on_start = on_start  # runs once in the writer thread before its first batch
        self._is_done = is_done  # has the run of this started item finished (record queued)?
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._held: list[tuple[float, object]] = []
        self._thread: threading.Thread | None = None
        self._checkpointer: threading.Thread | None = None
        self._lock = threading.Lock()

    def started(self, item: object) -> None:
        """Queue a started row; it is written only if the run is still going after HOLD_S."""
        self._put((item, True, None))

    def progressed(self, item: object) -> None:
        """Queue a row of a run's progress (a finished node), held and written as a started row."""
        self._put((item, True, None))

    def start(self) -> None:
        """Start the writer thread now (its start-up task runs at once), if not yet running."""
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._loop, name="weft-runlog", daemon=True
                    )
                    self._thread.start()

    async def finished(self, item: object) -> None:
        """Queue a finished record and wait (off the event loop) until it is committed."""
        future: Future[None] = Future()
        self._put((item, False, future))
        await asyncio.wrap_future(future)

    def _put(self, job: _Job) -> None:
        self.start()
        self._queue.put(job)

    def _next_batch(self) -> list[_Job]:
        timeout = max(0.0, self._held[0][0] + HOLD_S - time.monotonic()) if self._held else None
        try:
            batch = [self._queue.get(timeout=timeout)]
        except queue.Empty:
            return []
        while len(batch) < _MAX_BATCH:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _loop(self) -> None:
        if self._on_start is not None:
            try:
                with transaction.atomic():
                    self._on_start()
            except Exception:
                log.exception("run-log writer start-up task failed")
        while True:
            batch = self._next_batch()
            now = time.monotonic()
            self._held += [(now, item) for item, is_start, _ in batch if is_start]
            due = [item for at, item in self._held if now - at >= HOLD_S or self._is_done(item)]
            self._held = [
                (at, item)
                for at, item in self._held
                if not (now - at >= HOLD_S or self._is_done(item))
            ]
            starts = [item for item in due if not self._is_done(item)]
            finishes = [(item, fut) for item, is_start, fut in batch if not is_start]
            if starts or finishes:
                self._flush(starts, finishes)

    def _flush(
        self,
        starts: list[object],
        finishes: list[tuple[object, Future[None] | None]],
    ) -> None:
        drop_broken_connections()
        try:
            self._commit(starts, [item for item, _ in finishes])
            outcomes: list[BaseException | None] = [None] * len(finishes)
        except Exception as exc:  # find the bad item: the others still get written
            log.error("run log batch failed (%s); writing its items one by one", error_line(exc))
            for item in starts:
                self._commit_alone([item], [])
            outcomes = [self._commit_alone([], [item]) for item, _ in finishes]
        for (_, future), error in zip(finishes, outcomes, strict=True):
            if future is not None:
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)

    def _commit(self, starts: list[object], finishes: list[object]) -> None:
        with transaction.atomic():
            self._write_batch(starts, finishes)
        if self._checkpointer is None and connection.vendor == "sqlite":
            self._hand_over_checkpoints()

    def _hand_over_checkpoints(self) -> None:
        """On SQLite, checkpoint the WAL from a thread of its own, not inside a commit.

        SQLite checkpoints in whichever commit crosses the threshold, and a checkpoint waits for
        the disk: done in this thread it stalls every request waiting for its trace. Here the
        writer's own connection stops checkpointing, and a side thread checkpoints PASSIVEly
        (never blocking writers) every CHECKPOINT_S seconds.
        """
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        self._checkpointer = threading.Thread(
            target=_checkpoint_forever, name="weft-wal", daemon=True
        )
        self._checkpointer.start()

    def _commit_alone(self, starts: list[object], finishes: list[object]) -> BaseException | None:
        try:
            self._commit(starts, finishes)
        except Exception as exc:
            item = self._describe((starts or finishes)[0])
            log.error("could not write run log item %s: %s", item, error_line(exc))
            return exc
        return None


def error_line(exc: BaseException) -> str:
    """An error for the log without the data that caused it: its class and its first line (a
    database's DETAIL lines may quote the row, so they are left out)."""
    first = str(exc).strip().partition("\n")[0][:200]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _checkpoint_forever() -> None:
    while True:
        time.sleep(CHECKPOINT_S)
        try:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:
            log.exception("WAL checkpoint failed")
            connection.close()
