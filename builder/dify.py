"""Renders run events as Dify Service API events (the SSE stream and the blocking bodies).

These are renderings of the one event tree in runtime.events, never a second tree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from builder._dify_containers import ContainerTracker
from builder.models import AppMode
from runtime.events import (
    NodeFailed,
    NodeLog,
    NodeStarted,
    NodeSucceeded,
    RunEvent,
    RunFinished,
    RunStarted,
    TextChunk,
)


def sse(data: dict[str, Any]) -> bytes:
    """One SSE frame: `data: {json}` and a blank line."""
    return b"data: " + json.dumps(data, ensure_ascii=False, default=str).encode() + b"\n\n"


PING = b"event: ping\n\n"


def error_frame(status: int, code: str, message: str, **extra: Any) -> bytes:
    """Dify's mid-stream error event (the HTTP status stays 200)."""
    return sse({"event": "error", "status": status, "code": code, "message": message, **extra})


# Weft's app modes as Dify names them: chat apps are workflows that answer ("advanced-chat").
DIFY_MODES = {AppMode.CHAT: "advanced-chat", AppMode.WORKFLOW: "workflow"}


@dataclass
class DifyRenderer:
    """Keeps what Dify repeats on every event (task, run, conversation and message ids)."""

    run_id: str
    app_id: str
    mode: str  # "chat" or "workflow"
    conversation_id: str | None = None
    message_id: str | None = None
    created_at: int = 0
    # nodes that read a secret: their (masked) inputs are left out of published streams too
    hidden_inputs: frozenset[str] = frozenset()
    _node_type: dict[str, str] = field(default_factory=dict)
    # by node id and iteration path: a node inside a container starts once per item
    _node_started: dict[tuple[str, tuple[int, ...]], NodeStarted] = field(default_factory=dict)
    _thoughts: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    _containers: ContainerTracker = field(default_factory=ContainerTracker)

    def _base(self, event: str, at: int) -> dict[str, Any]:
        base: dict[str, Any] = {
            "event": event,
            "task_id": self.run_id,
            "workflow_run_id": self.run_id,
        }
        if self.mode == "chat":
            base |= {
                "conversation_id": self.conversation_id,
                "message_id": self.message_id,
                "id": self.message_id,
                "created_at": at,
            }
        return base

    def render(self, event: RunEvent) -> list[dict[str, Any]]:
        """Zero or more Dify events for one run event."""
        at = int(event.at.timestamp())
        if isinstance(event, RunStarted):
            self.created_at = at
            return [
                self._base("workflow_started", at)
                | {
                    "data": {
                        "id": self.run_id,
                        "workflow_id": self.app_id,
                        "inputs": event.inputs,
                        "created_at": at,
                    }
                }
            ]
        if isinstance(event, NodeStarted):
            return self._started(event, at)
        if isinstance(event, NodeSucceeded | NodeFailed):
            kind = self._containers.kind_of(event.node_id)
            name = f"{kind}_completed" if kind else "node_finished"
            return [self._base(name, at) | {"data": self._finished_data(event, at)}]
        if isinstance(event, TextChunk):
            if self.mode == "chat":
                return [self._base("message", at) | {"answer": event.text}]
            return [
                self._base("text_chunk", at)
                | {"data": {"text": event.text, "from_variable_selector": [event.node_id, "text"]}}
            ]
        if isinstance(event, NodeLog):
            out = [self._base("agent_log", at) | {"data": self._log_data(event)}]
            if self.mode == "chat" and event.step:
                out.append(self._base("agent_thought", at) | self._thought(event, at))
            return out
        if isinstance(event, RunFinished):
            out = []
            if self.mode == "chat":
                out.append(self._base("message_end", at) | {"metadata": message_metadata(event)})
            out.append(self._base("workflow_finished", at) | {"data": self.finished_data(event)})
            return out
        return []  # deltas of inner nodes and skips have no Dify event

    def _started(self, event: NodeStarted, at: int) -> list[dict[str, Any]]:
        """node_started; a container's `<kind>_started` instead, and `<kind>_next` before the
        first node of each of its items."""
        self._node_started[_key(event.node_id, event.iteration_path)] = event
        data = self._node_data(event, at)
        kind = self._containers.started(event)
        if kind is not None:
            return [self._base(f"{kind}_started", at) | {"data": data | {"metadata": {}}}]
        out = []
        index = self._containers.next_index(event)
        outer = _key(event.container_id or "", (event.iteration_path or [])[:-1])
        if index is not None and outer in self._node_started:
            kind = self._containers.kind_of(outer[0])
            container = self._node_data(self._node_started[outer], at)
            out.append(self._base(f"{kind}_next", at) | {"data": container | {"index": index}})
        return [*out, self._base("node_started", at) | {"data": data}]

    def _log_data(self, event: NodeLog) -> dict[str, Any]:
        """Dify's agent_log `data`: one step of a node, under its round (`parent_id`)."""
        round_id = f"{self.run_id}:{event.node_id}:{event.step}"
        return {
            "node_execution_id": f"{self.run_id}:{event.node_id}",
            "node_id": event.node_id,
            "id": f"{round_id}:{event.seq}",
            "parent_id": round_id if event.step else None,
            "label": event.label,
            "status": "error" if event.data.get("ok") is False else "success",
            "error": event.data.get("result") if event.data.get("ok") is False else None,
            "data": event.data,
            "metadata": {"step": event.step},
        }

    def _thought(self, event: NodeLog, at: int) -> dict[str, Any]:
        """Dify's agent_thought for the round `event` belongs to, as it stands after it: the
        model's thought, the tools it called (`tool` names joined by ";", `tool_input` a JSON
        object by name), their results (`observation`, likewise). A round is sent again, under
        the same id, each time it grows, as Dify resends a thought once its tools answered."""
        key = (event.node_id, event.step)
        thought = self._thoughts.setdefault(
            key,
            {
                "id": f"{self.run_id}:{event.node_id}:{event.step}",
                "position": len(self._thoughts) + 1,
                "thought": "",
                "tools": {},
                "observations": {},
            },
        )
        data = event.data
        if event.label == "thought":
            thought["thought"] = str(data.get("text", ""))
        elif event.label == "tool_call":
            thought["tools"][str(data.get("tool"))] = _loads(data.get("arguments"))
        elif event.label == "tool_result":
            thought["observations"][str(data.get("tool"))] = data.get("result")
        return {
            "id": thought["id"],
            "position": thought["position"],
            "thought": thought["thought"],
            "tool": ";".join(thought["tools"]),
            "tool_input": json.dumps(thought["tools"], ensure_ascii=False),
            "observation": json.dumps(thought["observations"], ensure_ascii=False)
            if thought["observations"]
            else "",
            "message_files": [],
            "created_at": at,
        }

    def _node_data(self, event: NodeStarted, at: int) -> dict[str, Any]:
        return {
            "id": f"{self.run_id}:{event.node_id}",
            "node_id": event.node_id,
            "node_type": event.node_type,
            "title": event.title,
            "index": event.index,
            "predecessor_node_id": event.predecessor_node_id,
            "inputs": {} if event.node_id in self.hidden_inputs else event.inputs,
            "created_at": at,
            **self._containers.place(event.container_id, event.iteration_path),
        }

    def _finished_data(self, event: NodeSucceeded | NodeFailed, at: int) -> dict[str, Any]:
        started = self._node_started.get(_key(event.node_id, event.iteration_path))
        data = self._node_data(started, at) if started else {"node_id": event.node_id}
        failed = isinstance(event, NodeFailed)
        tokens = 0 if failed else event.prompt_tokens + event.completion_tokens  # type: ignore[union-attr]
        data |= {
            "status": "failed" if failed else ("exception" if event.error_code else "succeeded"),
            "outputs": None if failed else event.outputs,  # type: ignore[union-attr]
            "error": event.error,
            "error_code": event.error_code,
            "elapsed_time": round(event.elapsed_ms / 1000, 6),
            "execution_metadata": {
                "total_tokens": tokens,
                **self._containers.place(event.container_id, event.iteration_path),
            },
            "finished_at": at,
        }
        return data

    def finished_data(self, event: RunFinished) -> dict[str, Any]:
        """The `data` of workflow_finished and of a blocking /workflows/run body."""
        return {
            "id": self.run_id,
            "workflow_id": self.app_id,
            "status": event.status,
            "outputs": event.outputs,
            "error": event.error,
            "error_code": event.error_code,
            "elapsed_time": round(event.elapsed_ms / 1000, 6),
            "total_tokens": event.prompt_tokens + event.completion_tokens,
            "total_steps": event.total_steps,
            "created_at": self.created_at,
            "finished_at": int(event.at.timestamp()),
            "metadata": message_metadata(event),
            # status "waiting" (Weft's): the forms to answer with /workflows/runs/{id}/resume
            **(
                {"waiting": [f.model_dump(mode="json") for f in event.waiting]}
                if event.waiting
                else {}
            ),
        }


def _key(node_id: str, path: list[int] | None) -> tuple[str, tuple[int, ...]]:
    return (node_id, tuple(path or ()))


def _loads(text: Any) -> Any:
    """A tool call's arguments as JSON where they are, else the text the model sent."""
    try:
        return json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return text


def message_metadata(event: RunFinished) -> dict[str, Any]:
    """Dify's message metadata: the run's citations (the nodes' retriever_resources) and usage."""
    return {
        "retriever_resources": event.metadata.get("retriever_resources", []),
        "usage": usage(event),
    }


def usage(event: RunFinished) -> dict[str, Any]:
    """Dify's usage block for message_end and blocking chat answers."""
    return {
        "prompt_tokens": event.prompt_tokens,
        "completion_tokens": event.completion_tokens,
        "total_tokens": event.prompt_tokens + event.completion_tokens,
        "latency": round(event.elapsed_ms / 1000, 6),
    }
