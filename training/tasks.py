"""The training task (django-tasks, queue "training"): run the trainer process and follow it.

`run_train_job` writes job.json, starts `python -m training.trainer job.json` (its stdout and
stderr go to trainer.out beside trainer.log), reads each new line of progress.jsonl once
(`ProgressReader`) and fans each event out: to the TrainJob row (step events at most twice a
second, every other event at once) and to the job's WebSocket group (training.live). On exit it
sets the final status and, on `done`, registers the adapter. The trainer gets SIGTERM if this
worker dies (Linux), so it checkpoints; the sweep (training.processes) then marks the job
interrupted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from kernel.processes import this_process
from training.config import TrainJobConfig
from training.errors import TrainingError
from training.job_config import build_config
from training.live import broadcast, broadcast_status
from training.models import JobStatus, TrainJob
from training.processes import do_sweep_interrupted_jobs
from training.progress import ProgressReader
from training.registry import do_register_adapter

WRITE_EVERY_S = 0.5  # step events: at most two row updates a second
POLL_S = 0.25
STOP_CHECK_S = 1.0
LOG_TAIL_LINES = 50
TERMINAL_EVENTS = ("done", "stopped", "error")


@task(queue_name="training")
def run_train_job(job_id: str, resume: bool = False) -> str:
    """Run one queued job to its end; returns the final status."""
    do_sweep_interrupted_jobs()
    job = TrainJob.objects.filter(pk=job_id).first()
    if job is None or job.status != JobStatus.QUEUED:
        return job.status if job else "deleted"
    try:
        config = build_config(job, resume=resume and _has_checkpoint(job.folder))
    except TrainingError as exc:
        return _finish_early(job, exc.code, exc.message, exc.setting or "")
    claimed = TrainJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING,
        worker=this_process(),
        process="",
        stop_requested=False,
        started_at=job.started_at or timezone.now(),
        attempts=F("attempts") + 1,
    )
    if not claimed:  # stopped while it waited
        job.refresh_from_db()
        return str(job.status)
    job.refresh_from_db()
    broadcast_status(job)
    return JobRunner(job, config).run()


def _has_checkpoint(folder: Path) -> bool:
    checkpoints = folder / "checkpoints"
    return checkpoints.is_dir() and any(checkpoints.iterdir())


def _finish_early(job: TrainJob, code: str, message: str, setting: str) -> str:
    TrainJob.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED,
        error_code=code,
        error=message,
        error_setting=setting,
        finished_at=timezone.now(),
    )
    job.status = JobStatus.FAILED
    broadcast_status(job)
    return str(JobStatus.FAILED)


def _die_with_parent() -> None:  # pragma: no cover  # runs in the child before exec
    """Linux: SIGTERM this process when the worker thread that started it dies."""
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def trainer_env() -> dict[str, str]:
    """The trainer's environment: OpenMP's own wait policy, offline hub.

    The web processes wait passively (`make run` exports OMP_WAIT_POLICY=PASSIVE); the trainer
    is the one busy process while it runs, and passive waits put its threads to sleep between
    the many small operations of a LoRA step: on 2 cores a step then takes 1.5-2x as long.
    libgomp's default spins briefly and then sleeps, so an idle trainer costs nothing.
    """
    env = dict(os.environ)
    env.pop("OMP_WAIT_POLICY", None)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env["PYTHONUNBUFFERED"] = "1"
    root = str(settings.BASE_DIR)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


class JobRunner:
    """Starts the trainer for one claimed job and follows its progress.jsonl to the end."""

    def __init__(self, job: TrainJob, config: TrainJobConfig) -> None:
        self.job = job
        self.config = config
        self.folder = job.folder
        # a resumed job appends to progress.jsonl: follow only the new lines
        self.progress = ProgressReader(self.folder / "progress.jsonl", from_end=True)
        self.terminal: dict[str, Any] | None = None
        self.dirty = False
        self.last_write = 0.0
        self.signalled = False

    def run(self) -> str:
        """Start the trainer and follow it; returns the final status."""
        self.folder.mkdir(parents=True, exist_ok=True)
        job_json = self.folder / "job.json"
        job_json.write_text(self.config.model_dump_json(indent=2))
        with (self.folder / "trainer.out").open("ab") as out:
            proc = subprocess.Popen(  # noqa: S603  # our own interpreter and module
                [sys.executable, "-m", "training.trainer", str(job_json)],
                cwd=settings.BASE_DIR,
                env=trainer_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl+C in a terminal does not hit it mid-step
                preexec_fn=_die_with_parent,  # only sets a signal, takes no locks
            )
        host = this_process().rpartition(":")[0]
        TrainJob.objects.filter(pk=self.job.pk).update(process=f"{host}:{proc.pid}")
        try:
            self._follow(proc)
        except BaseException:  # the worker is going down: let the trainer checkpoint
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
            raise
        finally:
            self._read_new_lines()
            self._write(force=True)
        return self._finish(proc.returncode)

    def _follow(self, proc: subprocess.Popen[bytes]) -> None:
        next_stop_check = time.monotonic() + STOP_CHECK_S
        while proc.poll() is None:
            self._read_new_lines()
            self._write()
            if not self.signalled and time.monotonic() >= next_stop_check:
                next_stop_check = time.monotonic() + STOP_CHECK_S
                if TrainJob.objects.filter(pk=self.job.pk, stop_requested=True).exists():
                    proc.send_signal(signal.SIGTERM)
                    self.signalled = True
            time.sleep(POLL_S)

    def _read_new_lines(self) -> None:
        for seq, event in self.progress.read():
            self._apply(event)
            broadcast(self.job.pk, {"type": "training.event", "seq": seq, "event": event})

    def _apply(self, event: dict[str, Any]) -> None:
        """Fold one event into the row (in memory; `_write` stores it)."""
        job, kind = self.job, event.get("event")
        if kind in ("start", "step"):
            job.progress = {**job.progress, **event}
        if kind == "step" and isinstance(event.get("step"), int):
            point = {"step": event["step"], "loss": event.get("loss"), "lr": event.get("lr")}
            # a resumed run repeats the steps after its last checkpoint: the new ones win
            job.curve = [p for p in job.curve if p["step"] < point["step"]] + [point]
        elif kind == "note":
            notes = [*job.progress.get("notes", []), event.get("message", "")]
            job.progress = {**job.progress, "notes": notes[-20:]}
        elif kind == "checkpoint":
            job.progress = {**job.progress, "checkpoint": event}
        elif kind == "eval":
            job.eval = event
        elif kind in TERMINAL_EVENTS:
            self.terminal = event
        self.dirty = True
        if kind != "step":
            self._write(force=True)

    def _write(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not self.dirty or (not force and now - self.last_write < WRITE_EVERY_S):
            return
        TrainJob.objects.filter(pk=self.job.pk).update(
            progress=self.job.progress, curve=self.job.curve, eval=self.job.eval
        )
        self.dirty, self.last_write = False, now

    def _finish(self, returncode: int | None) -> str:
        """Set the final status from the last terminal event (or the exit code)."""
        event = self.terminal or {}
        kind = event.get("event")
        fields: dict[str, Any] = {"finished_at": timezone.now(), "stop_requested": False}
        if kind == "done" and returncode == 0:
            fields.update(self._register(event))
        elif kind == "stopped" or (self.signalled and kind != "error"):
            fields["status"] = JobStatus.STOPPED
        elif kind == "error":
            fields.update(
                status=JobStatus.FAILED,
                error_code=str(event.get("code", "crash")),
                error=str(event.get("message", "")),
                error_setting=str(event.get("setting") or ""),
            )
        else:
            tail = "\n".join(read_log_tail(self.folder, 20))
            message = f"the trainer exited with code {returncode} without a result\n{tail}"
            fields.update(status=JobStatus.FAILED, error_code="crash", error=message.strip())
        TrainJob.objects.filter(pk=self.job.pk).update(**fields)
        self.job.refresh_from_db()
        broadcast_status(self.job)
        return str(self.job.status)

    def _register(self, event: dict[str, Any]) -> dict[str, Any]:
        adapter_dir = Path(str(event.get("adapter_dir") or self.folder / "adapter"))
        try:
            do_register_adapter(self.job, adapter_dir, dict(event.get("metrics") or {}))
        except OSError as exc:
            return {
                "status": JobStatus.FAILED,
                "error_code": "crash",
                "error": f"the adapter could not be registered: {exc}",
            }
        return {"status": JobStatus.SUCCEEDED}


def read_log_tail(folder: Path, lines: int = LOG_TAIL_LINES) -> list[str]:
    """The last lines of trainer.log (or of the captured output when there is no log yet).

    A Python traceback's frames (server source files and code) are left out; its last line, the
    exception, stays. The whole file stays on the server for an admin.
    """
    for name in ("trainer.log", "trainer.out"):
        path = folder / name
        if path.is_file():
            with path.open(encoding="utf-8", errors="replace") as f:
                return list(deque(_without_frames(f), maxlen=lines))
    return []


FRAMES_LEFT_OUT = "(stack frames left out: the full log is on the server)"
_CHAINED = ("During handling of the above exception", "The above exception was the direct cause")


def _without_frames(lines: Iterable[str]) -> Iterator[str]:
    """`lines` without newlines, a traceback's frames folded into one FRAMES_LEFT_OUT line.

    Of chained tracebacks ("During handling of the above exception...") each exception stays.
    """
    inside = chained = False  # in a traceback's frames; just after its exception line
    for raw in lines:
        line = raw.rstrip("\n")
        if line.startswith("Traceback (most recent call last):"):
            if not chained:
                yield FRAMES_LEFT_OUT
            inside = True
        elif line.startswith(_CHAINED) or (
            (inside or chained) and (not line.strip() or line[0].isspace())
        ):
            continue
        else:
            chained, inside = inside, False
            yield line
