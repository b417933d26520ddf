"""The training job WebSocket's messages (training/consumers.py), typed once for server and browser.

training registers them in the kernel's protocol registry (training/apps.py), so `make schema`
generates them into frontend/src/api/protocol.ts beside the run socket's. Names are prefixed
(Training…) as they share the document with builder's. The client sends nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kernel.protocols import Mode
from training.schemas import JobDetail, JobStatusName


def _is_none(value: object) -> bool:
    return value is None


class TrainerEvent(BaseModel):
    """One trainer event, a line of progress.jsonl (training/README.md): start, note, step,
    checkpoint, eval, done, stopped or error, with that event's own fields."""

    model_config = ConfigDict(frozen=True, extra="allow")

    event: str
    at: str | None = Field(None, exclude_if=_is_none)


class TrainingSnapshot(JobDetail):
    """Server → client, on connect: the job as GET /api/training/jobs/<id> shows it."""

    model_config = ConfigDict(frozen=True)

    type: Literal["snapshot"] = "snapshot"


class TrainingProgress(BaseModel):
    """Server → client: trainer event `seq` (its progress.jsonl line), sent once, in order."""

    model_config = ConfigDict(frozen=True)

    type: Literal["progress"] = "progress"
    seq: int
    event: TrainerEvent


class TrainingStatus(BaseModel):
    """Server → client: the job's status changed."""

    model_config = ConfigDict(frozen=True)

    type: Literal["status"] = "status"
    status: JobStatusName


class TrainingError(BaseModel):
    """Server → client: access was revoked; the socket then closes with 4403."""

    model_config = ConfigDict(frozen=True)

    type: Literal["error"] = "error"
    code: str
    message: str


TrainingServerMessage = Annotated[
    TrainingSnapshot | TrainingProgress | TrainingStatus | TrainingError,
    Field(discriminator="type"),
]

# What training registers in the kernel's protocol registry: name → (mode, type).
PROTOCOL: dict[str, tuple[Mode, Any]] = {
    "TrainingServerMessage": ("serialization", TrainingServerMessage),
}
