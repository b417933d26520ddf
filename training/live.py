"""A job's live progress: its channel-layer group, which its WebSockets join (consumers.py).

Messages: `training.event` (a trainer event with its line number `seq` in progress.jsonl) and
`training.status` (the job's new status).
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from training.models import TrainJob


def job_group(job_id: object) -> str:
    """The channel-layer group of a job's live progress."""
    return f"training-job-{job_id}"


def broadcast(job_id: object, message: dict[str, Any]) -> None:
    """Send one message to the job's WebSocket group (from sync code)."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(job_group(job_id), message)


def broadcast_status(job: TrainJob) -> None:
    """Tell the job's sockets its new status."""
    broadcast(job.pk, {"type": "training.status", "status": job.status})
