"""Task workers' liveness: a heartbeat each `manage.py db_worker` writes, read by the pages.

Work queued on the database task backend waits until a worker takes its queue. So that nothing
looks "stuck in queuing" without a reason, every worker (kernel's `db_worker`, which wraps
django-tasks-db's) writes a `WorkerBeat` row every BEAT_S seconds while it runs and deletes it
when it stops; a row older than STALE_S is a worker that died. At start a worker runs the
checks feature apps registered for the queues it takes (rag: "can the embedding model load?")
and records their outcome in its row, so a page can say why documents wait.
`queue_status(queue)` says, in words, whether some live worker takes a queue and passed its
checks. On any other task backend (immediate, or a queue we cannot see into) it answers ok.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from kernel.models import WorkerBeat
from kernel.processes import has_died, local_pid, this_process

log = logging.getLogger(__name__)

BEAT_S = 2.0
STALE_S = 10.0
START_HINT = 'start one with `manage.py db_worker --queue-name "*"` (`make run` starts one)'


@dataclass(frozen=True, slots=True)
class WorkerCheck:
    """A start-up check of the workers that take `queue`: `run` raises when it fails (its
    message says what is wrong, in words)."""

    queue: str
    name: str  # what it checks, said as what the worker cannot do: "load the embedding model"
    run: Callable[[], object]


_checks: dict[tuple[str, str], WorkerCheck] = {}


def register_worker_check(queue: str, name: str, run: Callable[[], object]) -> None:
    """Have the workers that take `queue` run `run` at start (an app's `ready()` calls it)."""
    _checks[(queue, name)] = WorkerCheck(queue, name, run)


def takes(queues: list[str], excluded: list[str], queue: str) -> bool:
    """Whether a worker started with these queues takes `queue`."""
    return queue in queues or ("*" in queues and queue not in excluded)


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """Whether queued work will be picked up, and if not why (for people)."""

    ok: bool
    message: str = ""


def _uses_worker_rows() -> bool:
    backend = str(settings.TASKS["default"]["BACKEND"])
    return backend.startswith("django_tasks_db.")


def live_beats() -> list[WorkerBeat]:
    """The workers that beat within STALE_S seconds."""
    fresh = timezone.now() - timedelta(seconds=STALE_S)
    return list(WorkerBeat.objects.filter(beat_at__gte=fresh))


def queue_status(queue: str) -> QueueStatus:
    """Whether a live worker takes `queue` and passed the checks registered for it."""
    if not _uses_worker_rows():
        return QueueStatus(True)
    beats = live_beats()
    if not beats:
        return QueueStatus(
            False, f"No task worker is running, so nothing is processed: {START_HINT}."
        )
    takers = [b for b in beats if takes(b.queues, b.excluded, queue)]
    if not takers:
        return QueueStatus(
            False,
            f'The running task workers do not take the "{queue}" queue: {START_HINT},'
            f' or add "{queue}" to a worker\'s --queue-name.',
        )
    failures: list[str] = []
    for beat in takers:
        failed = [
            f"cannot {name}: {result.get('message', '')}"
            for name, result in (beat.checks or {}).items()
            if (queue, name) in _checks and result.get("ok") is False
        ]
        if not failed:
            return QueueStatus(True)
        failures.extend(failed)
    return QueueStatus(False, f"The task worker {failures[0]}")


def is_gone(process: str) -> bool:
    """Whether the worker `process` ("<host>:<pid>") is no more: a local one whose pid is gone,
    another host's that stopped beating. This process is never gone."""
    if not process or process == this_process():
        return False
    if local_pid(process) is not None:
        return has_died(process)
    fresh = timezone.now() - timedelta(seconds=STALE_S)
    return not WorkerBeat.objects.filter(process=process, beat_at__gte=fresh).exists()


class Heartbeat:
    """Runs beside a worker: runs its checks, then beats until stopped (a thread)."""

    def __init__(self, queues: list[str], excluded: list[str]) -> None:
        self.queues, self.excluded = queues, excluded
        self.process = this_process()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)
        self._started = timezone.now()
        self._checks: dict[str, dict[str, object]] = {}

    def start(self) -> None:
        """Write the first beat now, then run the checks and keep beating in a thread."""
        self._checks = {c.name: {"ok": None, "message": "checking"} for c in self._mine()}
        self._beat()
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and delete this worker's row (it is no longer running)."""
        self._stop.set()
        self._thread.join(timeout=BEAT_S * 3)
        try:
            WorkerBeat.objects.filter(process=self.process).delete()
        except DatabaseError:  # the database went away first: the row goes stale instead
            log.warning("could not remove the heartbeat of %s", self.process)

    def _mine(self) -> list[WorkerCheck]:
        return [c for c in _checks.values() if takes(self.queues, self.excluded, c.queue)]

    def _run(self) -> None:
        try:
            for check in self._mine():
                self._checks[check.name] = _outcome(check)
                self._beat()
            while not self._stop.wait(BEAT_S):
                self._beat()
        finally:
            connection.close()

    def _beat(self) -> None:
        try:
            WorkerBeat.objects.update_or_create(
                process=self.process,
                defaults={
                    "queues": self.queues,
                    "excluded": self.excluded,
                    "checks": self._checks,
                    "started_at": self._started,
                    "beat_at": timezone.now(),
                },
            )
        except DatabaseError as exc:  # a busy or lost database: try again at the next beat
            log.warning("worker heartbeat not written: %s", exc)


def _outcome(check: WorkerCheck) -> dict[str, object]:
    try:
        check.run()
    except Exception as exc:  # any failure is what the page must say
        log.error("worker check %r failed: %s", check.name, exc)
        return {"ok": False, "message": str(exc)}
    return {"ok": True, "message": ""}
