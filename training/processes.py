"""Trainer and worker processes, named "<host>:<pid>" on a job's row: signals and the sweep."""

from __future__ import annotations

import os
import signal
import socket

from django.utils import timezone

from training.live import broadcast_status
from training.models import JobStatus, TrainJob


def _local_pid(process: str) -> int | None:
    host, _, pid = process.rpartition(":")
    return int(pid) if host == socket.gethostname() and pid.isdigit() else None


def signal_trainer(process: str, sig: int = signal.SIGTERM) -> bool:
    """Send `sig` to a trainer "<host>:<pid>" if it runs on this host; False when it does not."""
    pid = _local_pid(process)
    if pid is None:
        return False
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def do_sweep_interrupted_jobs() -> int:
    """Mark "interrupted" the running jobs whose worker process (on this host) has died.

    A killed worker cannot report; without this its job would say "running" for ever. The
    trainer, if it outlived the worker, is sent SIGTERM so it checkpoints. Runs when a worker
    starts a training task and whenever jobs are listed.
    """
    host = socket.gethostname()
    swept = 0
    running = TrainJob.objects.filter(status=JobStatus.RUNNING, worker__startswith=f"{host}:")
    for job in running.only("pk", "worker", "process"):
        pid = _local_pid(job.worker)
        if pid is None or _alive(pid):
            continue
        signal_trainer(job.process)
        swept += TrainJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
            status=JobStatus.INTERRUPTED,
            error_code="interrupted",
            error="the worker running this job stopped; resume continues from its last checkpoint",
            finished_at=timezone.now(),
        )
        job.status = JobStatus.INTERRUPTED
        broadcast_status(job)
    return swept
