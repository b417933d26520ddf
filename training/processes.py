"""Trainer and worker processes, named "<host>:<pid>" on a job's row: signals and the sweep."""

from __future__ import annotations

import os
import signal

from django.utils import timezone

from kernel.processes import has_died, local_pid, this_host
from training.live import broadcast_status
from training.models import JobStatus, TrainJob


def signal_trainer(process: str, sig: int = signal.SIGTERM) -> bool:
    """Send `sig` to a trainer "<host>:<pid>" if it runs on this host; False when it does not."""
    pid = local_pid(process)
    if pid is None:
        return False
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def do_sweep_interrupted_jobs() -> int:
    """Mark "interrupted" the running jobs whose worker process (on this host) has died.

    A killed worker cannot report; without this its job would say "running" for ever. The
    trainer, if it outlived the worker, is sent SIGTERM so it checkpoints. Runs when a worker
    starts a training task and whenever jobs are listed.
    """
    swept = 0
    running = TrainJob.objects.filter(
        status=JobStatus.RUNNING, worker__startswith=f"{this_host()}:"
    )
    for job in running.only("pk", "worker", "process"):
        if not has_died(job.worker):
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
