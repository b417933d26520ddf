"""Turns a run's event stream into its Run and NodeRun rows (the trace a person reads).

Rows are written by one writer thread per process in batches (see `_logwriter`): a run queues
its "started" row (and a new conversation) without waiting, and waits only for its finished
record, so its trace is stored before its last event reaches the client. A run that outlives
the writer's hold (`HOLD_S`) has its row written with the nodes finished so far, and each node
that finishes later is queued as it finishes, so a process killed mid-run leaves the nodes that
finished in the trace; a short run still costs one write of everything at its end.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connections, router
from django.db.models import Model
from django.db.models.fields import (
    AutoFieldMixin,
    BooleanField,
    CharField,
    FloatField,
    IntegerField,
    TextField,
)
from django.utils import timezone

from builder._logwriter import HOLD_S, LogWriter
from builder.models import Conversation, Message, NodeRun, Run, RunStatus
from kernel.processes import has_died, this_host
from runtime.events import (
    NodeFailed,
    NodeLog,
    NodePaused,
    NodeSkipped,
    NodeStarted,
    NodeSucceeded,
    RunEvent,
    RunFinished,
)

_RUN_FIELDS = [
    "status",
    "outputs",
    "answer",
    "error_code",
    "error",
    "failed_node_id",
    "elapsed_ms",
    "total_steps",
    "prompt_tokens",
    "completion_tokens",
    "finished_at",
    "pending",
]


# A node row's key: its node id and iteration path (a node inside an iteration or loop gets a
# row per item or round; any other node's path is empty).
NodeKey = tuple[str, tuple[int, ...]]


def key_of(row: Mapping[str, Any]) -> NodeKey:
    """The key of a node row (a dict by attname)."""
    return (row["node_id"], tuple(row["iteration_path"]))


NodeEventKey = NodeStarted | NodeSucceeded | NodeFailed | NodeSkipped | NodeLog | NodePaused


def _event_key(event: NodeEventKey) -> NodeKey:
    return (event.node_id, tuple(getattr(event, "iteration_path", None) or ()))


@dataclass
class NewRun:
    """A run that has just started (and the conversation it opened, if it opened one)."""

    run: Run
    new_conversation: Conversation | None = None
    done: bool = False  # set on the event loop when its finished record is queued
    written: bool = False  # set by the writer once the row exists
    # The run's node rows by node key (its RunRecord's), and those the writer has stored.
    nodes: dict[NodeKey, dict[str, Any]] = field(default_factory=dict)
    written_nodes: set[NodeKey] = field(default_factory=set)
    began: float = field(default_factory=time.monotonic)

    def finished_nodes(self) -> list[dict[str, Any]]:
        """The rows of the nodes that have finished (a copy: the event loop adds to them)."""
        return [n for n in list(self.nodes.values()) if n["status"] != "running"]


@dataclass
class FinishedNode:
    """A node row that will not change any more, queued as the node finishes once the run has
    outlived HOLD_S (held like a started row: if the run is done by then, its finished record
    writes it instead)."""

    start: NewRun
    row: dict[str, Any]


@dataclass
class RunRecord:
    """Collects one run's events in memory; the writer stores them when the run ends."""

    start: NewRun
    conversation: Conversation | None = None
    query: str = ""
    finished: RunFinished | None = None
    crash: str = ""
    finished_at: datetime | None = None
    # What a resume of this run needs if it pauses (the draft spec it ran, its query), and what
    # the run had spent before this part when it is a resume: prompt, completion tokens, ms.
    resume_info: dict[str, Any] = field(default_factory=dict)
    carried: tuple[int, int, float] = (0, 0, 0.0)

    @property
    def run(self) -> Run:
        """The run this record is about."""
        return self.start.run

    @property
    def nodes(self) -> dict[NodeKey, dict[str, Any]]:
        """NodeRun rows by node key, as dicts by attname."""
        return self.start.nodes

    def add(self, event: RunEvent) -> FinishedNode | None:
        """Fold one event into the record (node rows are plain dicts until the writer's INSERT);
        the node's final row to queue at once when the event ends a node of a run that has
        outlived HOLD_S (the writer stores the nodes finished before with the run's row)."""
        self._fold(event)
        if not isinstance(event, NodeSucceeded | NodeFailed | NodeSkipped):
            return None
        if time.monotonic() - self.start.began < HOLD_S:
            return None
        return FinishedNode(self.start, self.nodes[_event_key(event)])

    def _fold(self, event: RunEvent) -> None:
        if isinstance(event, NodeStarted):
            self.nodes[_event_key(event)] = self._new_node(
                event,
                event.node_type,
                index=event.index,
                title=event.title,
                status="running",
                inputs=_jsonable(event.inputs),
            )
        elif isinstance(event, NodeSucceeded):
            self._node(event, event.node_type).update(
                status="succeeded",
                outputs=_jsonable(event.outputs),
                handle=event.handle,
                elapsed_ms=event.elapsed_ms,
                attempts=event.attempts,
                prompt_tokens=event.prompt_tokens,
                completion_tokens=event.completion_tokens,
                error_code=event.error_code or "",
                error=event.error or "",
                metadata=_with_log(_jsonable(event.metadata), self.nodes[_event_key(event)]),
            )
        elif isinstance(event, NodeLog):
            node = self._node(event, "")
            log = {"label": event.label, "step": event.step, "data": _jsonable(event.data)}
            node["metadata"] = {**node["metadata"], "log": [*node["metadata"].get("log", []), log]}
        elif isinstance(event, NodeFailed):
            self._node(event, event.node_type).update(
                status="failed",
                error_code=event.error_code,
                error=event.error,
                elapsed_ms=event.elapsed_ms,
                attempts=event.attempts,
            )
        elif isinstance(event, NodeSkipped):
            self._node(event, event.node_type)["status"] = "skipped"
        elif isinstance(event, NodePaused):
            self._node(event, event.node_type).update(
                status="waiting", metadata={"form": event.form.model_dump(mode="json")}
            )
        elif isinstance(event, RunFinished):
            self.finished = event

    def _new_node(self, event: NodeEventKey, node_type: str, **values: Any) -> dict[str, Any]:
        return {
            **_row_defaults(NodeRun),
            "run_id": self.run.pk,
            "node_id": event.node_id,
            "node_type": node_type,
            "started_at": event.at,
            "container_id": getattr(event, "container_id", None) or "",
            "iteration_path": list(_event_key(event)[1]),
            **values,
        }

    def _node(self, event: NodeEventKey, node_type: str) -> dict[str, Any]:
        key = _event_key(event)
        node = self.nodes.get(key)
        if node is None:
            node = self.nodes[key] = self._new_node(event, node_type, index=len(self.nodes) + 1)
        return node

    def apply(self) -> None:
        """Set the run's final fields (in the writer thread, just before writing)."""
        run, end = self.run, self.finished
        if end is not None:
            run.status, run.outputs, run.answer = end.status, _jsonable(end.outputs), end.answer
            run.error_code, run.error = end.error_code or "", end.error or ""
            run.failed_node_id = end.failed_node_id or ""
            run.elapsed_ms, run.total_steps = end.elapsed_ms, end.total_steps
            run.prompt_tokens = end.prompt_tokens + self.carried[0]
            run.completion_tokens = end.completion_tokens + self.carried[1]
            run.elapsed_ms += self.carried[2]
        else:
            run.status, run.error_code = RunStatus.FAILED, "RunInterrupted"
            run.error = self.crash or "the run ended without finishing"
        run.finished_at = self.finished_at or timezone.now()
        run.pending = {}
        if run.status == RunStatus.WAITING and end is not None:
            forms = [form.model_dump(mode="json") for form in end.waiting]
            run.pending = {"forms": forms, "paused_at": run.finished_at.isoformat()}
            run.pending.update(self.resume_info)
            run.finished_at = None
        for node in self.nodes.values():
            if node["status"] == "running":
                node["status"] = "stopped" if run.status == RunStatus.STOPPED else "failed"

    def message(self) -> Message | None:
        """The chat turn to store, for runs in a conversation."""
        if self.conversation is None or self.run.status == RunStatus.WAITING:
            return None  # a waiting turn is stored when its run ends
        run = self.run
        return Message(
            conversation=self.conversation,
            run=run,
            query=self.query,
            answer=run.answer,
            inputs=run.inputs,
            prompt_tokens=run.prompt_tokens,
            completion_tokens=run.completion_tokens,
        )


def write_batch(starts: list[object], finishes: list[object]) -> None:
    """Insert runs still going, then the finished ones (insert or update), their node traces,
    conversations and messages, with as few statements as possible."""
    records = [r for r in finishes if isinstance(r, RunRecord)]
    for record in records:
        record.apply()
    begun = [s for s in starts if isinstance(s, NewRun)]
    # Nodes of running runs: those finished before the run's row, then those queued since.
    early = [FinishedNode(s, row) for s in begun for row in s.finished_nodes()]
    early += [n for n in starts if isinstance(n, FinishedNode)]
    fresh = [r.start for r in records if not r.start.written]
    Conversation.objects.bulk_create(
        [s.new_conversation for s in begun + fresh if s.new_conversation is not None]
    )
    insert_rows(Run, [_row_of(s.run) for s in begun + fresh])
    for start in begun + fresh:
        start.written = True
    for record in records:
        if record.start not in fresh:
            Run.objects.filter(pk=record.run.pk).update(
                **{name: getattr(record.run, name) for name in _RUN_FIELDS}
            )
    rows = []
    for node in early:
        if key_of(node.row) not in node.start.written_nodes:
            node.start.written_nodes.add(key_of(node.row))
            rows.append(node.row)
    rows += [n for r in records for k, n in r.nodes.items() if k not in r.start.written_nodes]
    insert_rows(NodeRun, rows)
    messages = [m for r in records if (m := r.message()) is not None]
    Message.objects.bulk_create(messages)
    for record in records:
        _keep_variables(record)
    if messages:
        Conversation.objects.filter(pk__in={m.conversation_id for m in messages}).update(
            updated_at=timezone.now()
        )


def _keep_variables(record: RunRecord) -> None:
    """Store what the run changed of its conversation's variables: after a turn that succeeded,
    or paused (a resume does not run its assigners again), over what other turns stored."""
    end, conversation = record.finished, record.conversation
    if conversation is None or end is None or not end.conversation:
        return
    if record.run.status not in (RunStatus.SUCCEEDED, RunStatus.WAITING):
        return
    rows = Conversation.objects.filter(pk=conversation.pk)
    stored = rows.values_list("variables", flat=True).first() or {}
    conversation.variables = {**stored, **_jsonable(end.conversation)}
    rows.update(variables=conversation.variables)


def insert_rows(model: type[Model], rows: list[dict[str, Any]]) -> None:
    """INSERT rows (dicts by attname) with one executemany: what bulk_create does without its
    per-object query compilation, which dominated the writer's time. Plain values go to the
    driver as they are; the rest (JSON, dates, UUIDs, keys) are adapted by their fields."""
    if not rows:
        return
    conn = connections[router.db_for_write(model)]
    fields = _insert_fields(model)
    columns = ", ".join(conn.ops.quote_name(f.column or f.name) for f in fields)
    table = conn.ops.quote_name(model._meta.db_table)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608  # values are bound
    plain = [isinstance(f, _PLAIN) and not f.is_relation for f in fields]
    values = [
        [
            row[f.attname] if is_plain else f.get_db_prep_save(row[f.attname], conn)
            for f, is_plain in zip(fields, plain, strict=True)
        ]
        for row in rows
    ]
    with conn.cursor() as cursor:
        cursor.executemany(sql, values)


# Fields whose Python value is already what every backend stores (no adaptation needed).
_PLAIN = (CharField, TextField, IntegerField, FloatField, BooleanField)


@cache
def _insert_fields(model: type[Model]) -> list[Any]:
    return [f for f in model._meta.concrete_fields if not isinstance(f, AutoFieldMixin)]


@cache
def _row_defaults(model: type[Model]) -> dict[str, Any]:
    return {f.attname: f.get_default() for f in _insert_fields(model)}


def _row_of(obj: Model) -> dict[str, Any]:
    obj._state.adding = False
    return {f.attname: getattr(obj, f.attname) for f in _insert_fields(type(obj))}


def do_close_orphaned_runs() -> int:
    """Mark failed the runs left "running" by processes of this host that no longer exist.

    A run lives in the memory of the process that runs it; if that process dies, its row would
    say "running" for ever. Each process's run-log writer calls this once when it starts, and
    the ASGI module starts the writer as the server starts (portal/asgi.py).
    """
    orphans = [
        run_id
        for run_id, process in Run.objects.filter(
            status=RunStatus.RUNNING, process__startswith=f"{this_host()}:"
        ).values_list("id", "process")
        if has_died(process)
    ]
    return Run.objects.filter(id__in=orphans).update(
        status=RunStatus.FAILED,
        error_code="RunInterrupted",
        error="the process running it stopped before it finished",
        finished_at=timezone.now(),
    )


def _is_done(item: object) -> bool:
    if isinstance(item, FinishedNode):
        return item.start.done
    return isinstance(item, NewRun) and item.done


def _describe(item: object) -> str:
    """A run-log item by its ids, for log lines (its inputs and outputs stay out of logs)."""
    start = item.start if isinstance(item, RunRecord) else item
    if isinstance(start, NewRun):
        return f"run {start.run.pk} of app {start.run.app_id}"
    return type(item).__name__


run_log = LogWriter(write_batch, _is_done, on_start=do_close_orphaned_runs, describe=_describe)


def _jsonable(value: Any) -> Any:
    """Values as JSON can store them (anything unknown becomes its string)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


def _with_log(metadata: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """A node's final metadata with the logs it gave while it ran (its trace's steps): they
    come as NodeLog events, before NodeSucceeded's metadata."""
    log = row["metadata"].get("log") if isinstance(row.get("metadata"), dict) else None
    return {**metadata, "log": log} if log else metadata
