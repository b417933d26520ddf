"""Progress events: one JSON object per line in output_dir/progress.jsonl, echoed to stdout.

The event shapes are the contract in training/README.md. `parse_event` reads a line back into a
typed event for the side that follows a running job.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

ErrorCode = Literal[
    "bad_dataset",
    "row_too_long",
    "empty_dataset",
    "bad_base_model",
    "out_of_memory",
    "disk_full",
    "crash",
]


class _Event(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    at: datetime


class StartEvent(_Event):
    """Training begins: the resolved plan."""

    event: Literal["start"] = "start"
    total_steps: int
    epochs: int
    train_rows: int
    val_rows: int
    replay_rows: int
    compute_type: str
    device: str


class NoteEvent(_Event):
    """Something the user should know (a fallback, dropped rows)."""

    event: Literal["note"] = "note"
    message: str


class StepEvent(_Event):
    """One optimizer step."""

    event: Literal["step"] = "step"
    step: int
    total_steps: int
    epoch: float
    loss: float
    lr: float
    tokens_per_s: float
    eta_s: float
    memory_mb: float


class CheckpointEvent(_Event):
    """A checkpoint folder was written."""

    event: Literal["checkpoint"] = "checkpoint"
    step: int
    path: str


class EvalEvent(_Event):
    """Learned (held-out split) and preserved (general probes) scores, 0..1."""

    event: Literal["eval"] = "eval"
    learned: float | None
    preserved: float | None
    details: dict[str, Any] = Field(default_factory=dict)


class DoneEvent(_Event):
    """The adapter is saved; exit code 0."""

    event: Literal["done"] = "done"
    adapter_dir: str
    metrics: dict[str, Any] = Field(default_factory=dict)


class StoppedEvent(_Event):
    """Stopped by SIGTERM after saving a checkpoint (None before the first step); exit code 0."""

    event: Literal["stopped"] = "stopped"
    checkpoint: str | None


class ErrorEvent(_Event):
    """The job failed; exit code 1. `setting` names the field to change."""

    event: Literal["error"] = "error"
    code: ErrorCode
    message: str
    setting: str | None = None


ProgressEvent = Annotated[
    StartEvent
    | NoteEvent
    | StepEvent
    | CheckpointEvent
    | EvalEvent
    | DoneEvent
    | StoppedEvent
    | ErrorEvent,
    Field(discriminator="event"),
]
_ADAPTER: TypeAdapter[ProgressEvent] = TypeAdapter(ProgressEvent)


def parse_event(line: str | bytes) -> ProgressEvent:
    """One progress line → its typed event (raises pydantic's ValidationError if malformed)."""
    return _ADAPTER.validate_json(line)


log = logging.getLogger("training.trainer.progress")  # into trainer.log via training.trainer
_LOG_EVERY = 10  # steps between step lines in trainer.log (every event also goes to progress)


def _log_event(record: dict[str, Any]) -> None:
    """The event as a line a person reads in trainer.log (the trainer logs this logger there)."""
    kind = record["event"]
    if kind == "step":
        step, total = record.get("step", 0), record.get("total_steps", 0)
        if step % _LOG_EVERY and step not in (1, total):
            return
        text = (
            f"step {step}/{total} epoch {record.get('epoch')} loss {record.get('loss')}"
            f" lr {record.get('lr', 0):.3g} {record.get('tokens_per_s')} tokens/s"
            f" eta {record.get('eta_s')} s memory {record.get('memory_mb')} MB"
        )
    elif kind == "note":
        text = f"note: {record.get('message')}"
    elif kind == "eval":
        text = f"eval: learned {record.get('learned')} preserved {record.get('preserved')}"
    else:
        fields = {k: v for k, v in record.items() if k not in ("event", "at", "details")}
        text = f"{kind}: " + " ".join(f"{k}={v}" for k, v in fields.items())
    log.log(logging.ERROR if kind == "error" else logging.INFO, "%s", text)


class ProgressWriter:
    """Appends event lines to progress.jsonl (flushed per line) and echoes them to a stream."""

    def __init__(self, path: Path | None, echo: IO[str] | bool | None = True) -> None:
        self.path = path
        self.echo = sys.stdout if echo is True else echo or None  # True: stdout at call time
        self.events: list[dict[str, Any]] = []  # what was written, for the metrics and tests
        self._file = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115  # closed in close()

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        """Write one event line; `at` is added."""
        record = {"event": event, "at": datetime.now(UTC).isoformat(), **fields}
        line = json.dumps(record, ensure_ascii=False, default=str)
        self.events.append(record)
        if self._file:
            self._file.write(line + "\n")
            self._file.flush()
        if self.echo:
            self.echo.write(line + "\n")
            self.echo.flush()
        _log_event(record)
        return record

    def note(self, message: str) -> None:
        """A `note` event."""
        self.emit("note", message=message)

    def close(self) -> None:
        """Close the file."""
        if self._file:
            self._file.close()
            self._file = None


class ProgressReader:
    """The one reader of a progress.jsonl another process is writing: each complete line once.

    `read` returns the events of the complete lines written since the last read, each with its
    line number `seq` (1-based; the number `training.event` messages and the job's WebSocket
    carry). A line that is not a JSON object still counts for `seq` and is skipped; a line still
    being written waits for its newline. `from_end` starts after the lines already there (a
    resumed job, a socket that sent a snapshot first).
    """

    def __init__(self, path: Path, *, from_end: bool = False) -> None:
        self.path = path
        self.offset = 0
        self.seq = 0
        if from_end:
            self.read()

    def read(self) -> list[tuple[int, dict[str, Any]]]:
        """The events of the new complete lines, numbered."""
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n") + 1
        self.offset += end
        events = []
        for line in data[:end].splitlines():
            self.seq += 1
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(event, dict):
                events.append((self.seq, event))
        return events
