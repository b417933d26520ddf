"""Turns a run's event stream into its Run and NodeRun rows (the trace a person reads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from builder.models import Conversation, Message, NodeRun, Run, RunStatus
from runtime.events import (
    NodeFailed,
    NodeSkipped,
    NodeStarted,
    NodeSucceeded,
    RunEvent,
    RunFinished,
)


@dataclass
class RunRecord:
    """Collects one run's events in memory; `save()` writes them in one transaction."""

    run: Run
    conversation: Conversation | None = None
    query: str = ""
    nodes: dict[str, NodeRun] = field(default_factory=dict)
    finished: RunFinished | None = None

    def add(self, event: RunEvent) -> None:
        """Fold one event into the record."""
        if isinstance(event, NodeStarted):
            self.nodes[event.node_id] = NodeRun(
                run=self.run,
                node_id=event.node_id,
                node_type=event.node_type,
                title=event.title,
                index=event.index,
                status="running",
                inputs=_jsonable(event.inputs),
                started_at=event.at,
            )
        elif isinstance(event, NodeSucceeded):
            node = self._node(event.node_id, event.node_type, event.at)
            node.status, node.outputs, node.handle = (
                "succeeded",
                _jsonable(event.outputs),
                event.handle,
            )
            node.elapsed_ms, node.attempts = event.elapsed_ms, event.attempts
            node.prompt_tokens, node.completion_tokens = (
                event.prompt_tokens,
                event.completion_tokens,
            )
            node.error_code, node.error = event.error_code or "", event.error or ""
        elif isinstance(event, NodeFailed):
            node = self._node(event.node_id, event.node_type, event.at)
            node.status, node.error_code, node.error = "failed", event.error_code, event.error
            node.elapsed_ms, node.attempts = event.elapsed_ms, event.attempts
        elif isinstance(event, NodeSkipped):
            self._node(event.node_id, event.node_type, event.at).status = "skipped"
        elif isinstance(event, RunFinished):
            self.finished = event

    def _node(self, node_id: str, node_type: str, at: datetime) -> NodeRun:
        node = self.nodes.get(node_id)
        if node is None:
            node = NodeRun(
                run=self.run,
                node_id=node_id,
                node_type=node_type,
                started_at=at,
                index=len(self.nodes) + 1,
            )
            self.nodes[node_id] = node
        return node

    def save(self, finished_at: datetime, fallback_error: str = "") -> None:
        """Write the run's final state, its node traces and the chat message, all or nothing."""
        run, end = self.run, self.finished
        if end is not None:
            run.status, run.outputs, run.answer = end.status, _jsonable(end.outputs), end.answer
            run.error_code, run.error = end.error_code or "", end.error or ""
            run.failed_node_id = end.failed_node_id or ""
            run.elapsed_ms, run.total_steps = end.elapsed_ms, end.total_steps
            run.prompt_tokens, run.completion_tokens = end.prompt_tokens, end.completion_tokens
        else:
            run.status, run.error_code = RunStatus.FAILED, "RunInterrupted"
            run.error = fallback_error or "the run ended without finishing"
        run.finished_at = finished_at
        for node in self.nodes.values():
            if node.status == "running":
                node.status = "stopped" if run.status == RunStatus.STOPPED else "failed"
        with transaction.atomic():
            run.save()
            NodeRun.objects.bulk_create(list(self.nodes.values()))
            if self.conversation is not None:
                Message.objects.create(
                    conversation=self.conversation,
                    run=run,
                    query=self.query,
                    answer=run.answer,
                    inputs=run.inputs,
                    prompt_tokens=run.prompt_tokens,
                    completion_tokens=run.completion_tokens,
                )
                Conversation.objects.filter(pk=self.conversation.pk).update(updated_at=finished_at)


def _jsonable(value: Any) -> Any:
    """Values as JSON can store them (anything unknown becomes its string)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)
