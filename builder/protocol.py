"""The run WebSocket's messages (builder/consumers.py), typed once for the server and the browser.

The document also carries runtime.spec.WorkflowSpec, the draft the editor saves and runs.

builder registers them in the kernel's protocol registry (kernel/protocols.py); `make schema`
writes its document and turns it into frontend/src/api/protocol.ts with openapi-typescript, as it
does the REST API's schema.ts; `make schema-check` fails when either is stale, so a changed event
or message field reaches the editor's type checker.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from builder.schemas import IssueOut, ResumeIn, RunIn
from kernel.protocols import Mode
from runtime.events import RunEvent
from runtime.spec import WorkflowSpec


class RunMessage(RunIn):
    """Client → server: run the saved draft (the fields of RunIn; null means "not given")."""

    type: Literal["run"]


class ResumeMessage(ResumeIn):
    """Client → server: answer the form of a waiting run of this app; its events follow, as a
    run's do (after RunCreated with the same run id)."""

    type: Literal["resume"]
    run_id: str


class StopMessage(BaseModel):
    """Client → server: stop the run in flight; it ends with run_finished "stopped"."""

    type: Literal["stop"]


class _ServerMessage(BaseModel):
    model_config = ConfigDict(frozen=True)


class RunCreated(_ServerMessage):
    """Server → client: the run was created; its events follow."""

    type: Literal["run_created"] = "run_created"
    run_id: str
    conversation_id: str | None


class EventMessage(_ServerMessage):
    """Server → client: one event of the run (runtime/events.py)."""

    type: Literal["event"] = "event"
    event: RunEvent


def _is_none(value: object) -> bool:
    return value is None


class ErrorMessage(_ServerMessage):
    """Server → client: the run was refused or the message was bad.

    Besides `field` and `issues` it carries any other data of the ApiError (e.g. `limit`).
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    type: Literal["error"] = "error"
    code: str
    message: str
    field: str | None = Field(None, exclude_if=_is_none)
    issues: list[IssueOut] | None = Field(None, exclude_if=_is_none)


ClientMessage = Annotated[RunMessage | ResumeMessage | StopMessage, Field(discriminator="type")]
ServerMessage = Annotated[RunCreated | EventMessage | ErrorMessage, Field(discriminator="type")]


# What builder registers in the kernel's protocol registry (builder/apps.py): name → (mode, type).
PROTOCOL: dict[str, tuple[Mode, Any]] = {
    "ClientMessage": ("validation", ClientMessage),
    "ServerMessage": ("serialization", ServerMessage),
    "RunEvent": ("serialization", RunEvent),
    # The draft the editor saves (the REST API types it as a plain object).
    "WorkflowSpec": ("validation", WorkflowSpec),
}
