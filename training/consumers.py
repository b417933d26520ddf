"""The WebSocket that shows a training job live: ws/training/jobs/<uuid>/ (editors and up).

Server → client (typed in training/protocol.py, generated into the editor's protocol.ts):
                 {"type": "snapshot", ...JobDetail fields}  on connect
                 {"type": "progress", "seq": n, "event": {...}}  each trainer event (progress.jsonl
                     line n: start, note, step, checkpoint, eval, done, stopped, error)
                 {"type": "status", "status": "running" | "succeeded" | ...}  on each change
Events come from the job's channel-layer group (the worker's one reader of progress.jsonl fans
them out), and also from the same reader (training.progress.ProgressReader) following the file
here, so a worker in another process reaches the browser on the in-memory channel layer too;
`seq` keeps each event sent once and in order. Paths in events show relative to the data folder
(kernel.paths.shown), as in JobDetail. The client sends nothing.
Access is checked again at each poll, each relayed event and each message the client sends: a
member removed or demoted below editor since connecting gets
{"type": "error", "code": "forbidden", "message"} and the socket closes with 4403.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from pydantic import BaseModel, ValidationError

from kernel.ids import parse_uuid
from kernel.models import Role
from kernel.paths import shown
from kernel.workspaces import get_membership
from training.live import job_group
from training.models import TrainJob
from training.progress import ProgressReader
from training.protocol import (
    TrainerEvent,
    TrainingError,
    TrainingProgress,
    TrainingSnapshot,
    TrainingStatus,
)

POLL_S = 0.5  # progress.jsonl and the job's status, when no group message comes

log = logging.getLogger(__name__)


class TrainJobConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels has no stubs
    """One socket per open job page."""

    job_id: str
    group: str = ""
    progress: ProgressReader
    status: str = ""
    workspace_id: int = 0
    revoked: bool = False
    follower: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        """Accept editors of the job's workspace (else close 4403), then send the snapshot."""
        job = await sync_to_async(_allowed_job)(
            self.scope.get("user"), str(self.scope["url_route"]["kwargs"]["job_id"])
        )
        if job is None:
            await self.close(code=4403)
            return
        self.job_id = str(job.pk)
        self.workspace_id = job.workspace_id
        self.group = job_group(self.job_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        snapshot, self.progress = await sync_to_async(_snapshot)(job)
        self.status = snapshot.status
        await self._send(snapshot)
        self.follower = asyncio.create_task(self._follow())

    async def disconnect(self, code: int) -> None:
        """Leave the group and stop following."""
        if self.follower is not None:
            self.follower.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """The client sends nothing to act on; any message re-checks access."""
        await self._still_allowed()

    async def training_event(self, message: dict[str, Any]) -> None:
        """A trainer event relayed by the worker (group message `training.event`)."""
        if await self._still_allowed() is None:
            return
        seq = int(message.get("seq", 0))
        await self._catch_up()  # the file, when this host can read it, is the source of truth
        if seq > self.progress.seq:  # else the file brought it (and everything before, in order)
            self.progress.seq = seq
            await self._send_event(seq, message["event"])

    async def training_status(self, message: dict[str, Any]) -> None:
        """A status change (group message `training.status`)."""
        if await self._still_allowed() is None:
            return
        await self._send_status(str(message["status"]))

    async def _follow(self) -> None:
        while not self.revoked:
            await asyncio.sleep(POLL_S)
            job = await self._still_allowed()
            if job is None:
                return
            await self._catch_up()
            await self._send_status(job.status)

    async def _still_allowed(self) -> TrainJob | None:
        """The job while the user may still watch it; else refuse once, stop and close."""
        if self.revoked:
            return None
        job = await sync_to_async(_allowed_job)(self.scope.get("user"), self.job_id)
        if job is not None and job.workspace_id == self.workspace_id:
            return job
        self.revoked = True
        if self.follower is not None and self.follower is not asyncio.current_task():
            self.follower.cancel()
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await self._send(
            TrainingError(code="forbidden", message="you no longer may watch this job")
        )
        await self.close(code=4403)
        return None

    async def _catch_up(self) -> None:
        for seq, event in await asyncio.to_thread(self.progress.read):
            await self._send_event(seq, event)

    async def _send_event(self, seq: int, event: dict[str, Any]) -> None:
        try:
            typed = TrainerEvent.model_validate(shown(event))
        except ValidationError as e:  # a line the trainer did not write: the job page skips it
            log.warning("job %s: progress line %d is not a trainer event: %s", self.job_id, seq, e)
            return
        await self._send(TrainingProgress(seq=seq, event=typed))

    async def _send_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            await self._send(TrainingStatus.model_validate({"status": status}))

    async def _send(self, message: BaseModel) -> None:
        await self.send(message.model_dump_json())


def _snapshot(job: TrainJob) -> tuple[TrainingSnapshot, ProgressReader]:
    """The job as GET /api/training/jobs/<id> shows it, and a reader of progress.jsonl from now."""
    from training.api import job_detail

    progress = ProgressReader(job.folder / "progress.jsonl", from_end=True)
    return TrainingSnapshot.model_validate(job_detail(job)), progress


def _allowed_job(user: Any, job_id: str) -> TrainJob | None:
    if user is None or not user.is_authenticated:
        return None
    pk = parse_uuid(job_id)
    job = TrainJob.objects.filter(pk=pk).first() if pk else None
    if job is None:
        return None
    membership = get_membership(user, job.workspace_id)
    return job if membership is not None and membership.allows(Role.EDITOR) else None
