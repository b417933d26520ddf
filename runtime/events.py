"""The one typed event tree a run emits. SSE and WebSocket messages are renderings of these."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from runtime.pause import PauseForm

# "waiting": nodes paused for a person (see runtime.pause); the run resumes when answered
RunStatus = Literal["succeeded", "failed", "stopped", "waiting"]


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    seq: int
    at: datetime


class _NodeEvent(_Event):
    """An event of one node. Inside a container (iteration, loop) it says which container and
    which run of its sub-graph, so a trace can show "item 3 / node X"."""

    container_id: str | None = None  # the innermost container the node sits in
    # the item (or loop round) index, 0-based, in each container around the node, outermost
    # first; None at the top level
    iteration_path: list[int] | None = None


class RunStarted(_Event):
    kind: Literal["run_started"] = "run_started"
    inputs: dict[str, Any]


class NodeStarted(_NodeEvent):
    kind: Literal["node_started"] = "node_started"
    node_id: str
    node_type: str
    title: str
    index: int  # 1-based order in which nodes started
    predecessor_node_id: str | None
    inputs: dict[str, Any]  # resolved values of the variables the node reads


class NodeDelta(_NodeEvent):
    """A streamed piece of a node's output port (e.g. an LLM's text)."""

    kind: Literal["node_delta"] = "node_delta"
    node_id: str
    port: str
    text: str


class NodeLog(_NodeEvent):
    """One step of a node's work, as it happens (an agent's thought, tool call or result).

    The builder keeps a node's logs with its row (its metadata's `log`), so a trace shows them
    after a reload; the Service API sends them as Dify's `agent_log` (and an agent's as
    `agent_thought` in chat apps)."""

    kind: Literal["node_log"] = "node_log"
    node_id: str
    label: str  # "thought", "tool_call", "tool_result"
    step: int  # the round of the node's work it belongs to (1-based; 0: none)
    data: dict[str, Any]


class TextChunk(_Event):
    """A piece of the user-visible text: an answer node's (chat) or an end node's (workflow)."""

    kind: Literal["text_chunk"] = "text_chunk"
    node_id: str  # the answer or end node the text belongs to
    text: str


class NodeSucceeded(_NodeEvent):
    kind: Literal["node_succeeded"] = "node_succeeded"
    node_id: str
    node_type: str
    outputs: dict[str, Any]
    handle: str  # the source handle taken ("source", an if-else case id, "false", "fail-branch")
    elapsed_ms: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    attempts: int = 1
    error_code: str | None = None  # set when an error was absorbed by default_value/fail_branch
    error: str | None = None
    # how the node got its outputs (JSON): "retriever_resources" (Dify's citations), agent steps
    metadata: dict[str, Any] = Field(default_factory=dict)


class NodeFailed(_NodeEvent):
    kind: Literal["node_failed"] = "node_failed"
    node_id: str
    node_type: str
    error_code: str
    error: str
    elapsed_ms: float
    attempts: int = 1


class NodeSkipped(_NodeEvent):
    kind: Literal["node_skipped"] = "node_skipped"
    node_id: str
    node_type: str


class NodePaused(_Event):
    """The node waits for a person to fill in `form`; other branches go on."""

    kind: Literal["node_paused"] = "node_paused"
    node_id: str
    node_type: str
    form: PauseForm


class RunFinished(_Event):
    kind: Literal["run_finished"] = "run_finished"
    status: RunStatus
    outputs: dict[str, Any]
    answer: str  # concatenated text chunks (chat apps); "" otherwise
    error_code: str | None = None
    error: str | None = None
    failed_node_id: str | None = None
    elapsed_ms: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_steps: int = 0
    # the succeeded nodes' metadata lists joined by key, in the order the nodes finished
    # ("retriever_resources": every citation of the run)
    metadata: dict[str, list[Any]] = Field(default_factory=dict)
    # status "waiting": the forms of the nodes that wait for a person, in the order they paused
    waiting: list[PauseForm] = Field(default_factory=list)
    # the conversation variables the run changed, with their values now (chat apps)
    conversation: dict[str, Any] = Field(default_factory=dict)


RunEvent = Annotated[
    RunStarted
    | NodeStarted
    | NodeDelta
    | NodeLog
    | TextChunk
    | NodeSucceeded
    | NodeFailed
    | NodeSkipped
    | NodePaused
    | RunFinished,
    Field(discriminator="kind"),
]
run_event_adapter: TypeAdapter[RunEvent] = TypeAdapter(RunEvent)
