"""Starting, streaming, stopping and recording runs: the only code that writes run rows.

A run is an asyncio task of its own: the client that started it reads its events from a queue, so
a client that goes away never leaves a half-written trace, and `do_stop_run` can stop it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.utils import timezone

from builder._chain import run_context
from builder._logwriter import error_line
from builder.actions.workflows import parse_spec, require_graph_size
from builder.graphs import get_compiled_draft
from builder.models import (
    App,
    AppVersion,
    Conversation,
    Message,
    Run,
    RunSource,
    RunStatus,
    Workflow,
)
from builder.runlog import NewRun, RunRecord, run_log
from builder.secrets import open_secrets
from builder.trace import results_of
from kernel.db import db_call
from kernel.errors import ApiError
from kernel.ids import parse_uuid
from kernel.limits import limits
from kernel.models import User
from kernel.processes import this_process
from kernel.resources import resolve
from runtime.compile import CompiledGraph, compile_node, needs_of
from runtime.engine import Engine, RunContext
from runtime.events import RunEvent, RunFinished
from runtime.llm.protocol import ChatMessage
from runtime.pause import Reply
from runtime.spec import SOURCE_HANDLE
from runtime.variables import ENV_SCOPE, SYS_SCOPE, nest_values

log = logging.getLogger(__name__)

HISTORY_TURNS = 20  # chat memory handed to the run; llm nodes window it further


@dataclass
class RunRequest:
    """Everything a run needs, gathered by the caller (API view, consumer or CLI)."""

    app: App
    graph: CompiledGraph
    source: RunSource
    inputs: dict[str, Any]
    query: str = ""
    end_user: str = ""
    conversation_id: str | None = None
    version: AppVersion | None = None
    triggered_by: User | None = None
    env: dict[str, Any] = field(default_factory=dict)  # over the spec's own env vars
    # Memory handed in by a stateless client (OpenAI); None = keep it in a Conversation (chat apps).
    history: list[ChatMessage] | None = None
    sys: dict[str, Any] = field(default_factory=dict)  # over the sys variables the run fills in
    # Nodes finished before the run starts: (outputs, handle or None if skipped); see RunContext.
    seed: dict[str, tuple[dict[str, Any], str | None]] = field(default_factory=dict)
    reused_from: Run | None = None  # the earlier run whose results `seed` holds (run from here)
    spec: dict[str, Any] | None = None  # the draft it runs, kept should the run pause
    # A resume (builder/actions/resume.py): the waiting run it goes on in, the paused nodes'
    # replies, the steps run before, and the (prompt, completion tokens, ms) it spent before.
    resume_of: Run | None = None
    replies: dict[str, Reply] = field(default_factory=dict)
    first_index: int = 0
    carried: tuple[int, int, float] = (0, 0, 0.0)


def draft_run_request(
    app: App,
    user: User,
    inputs: dict[str, Any],
    query: str,
    conversation_id: str | None,
    *,
    node_id: str | None = None,
    node_inputs: Mapping[str, Any] | None = None,
    from_node: str | None = None,
    from_run: str | None = None,
    origin: str = "editor",
) -> RunRequest:
    """A run of the app's saved draft by a member; the JSON API and the WebSocket both use it.

    * Plain: the whole draft (GraphInvalidError lists its issues).
    * `node_id`: that node alone, reading `node_inputs` ({"node_id.field": value}, "sys.query"
      too) for the variables it references; a missing one is None, as in a normal run. Only the
      node's own config must be valid. No conversation is kept; the run's source is "debug".
    * `from_node` + `from_run`: the draft again from `from_node`, every node that is not it or
      behind it reusing the outputs and handle it had in the earlier run `from_run` (and its
      inputs and query). Reused nodes emit no events: the editor keeps their earlier results.

    `origin` ("editor" or "portal", the app page's test form) is the source a whole-draft run
    is labelled with.
    """
    raw = Workflow.objects.get(app=app).spec
    require_graph_size(parse_spec(raw))
    if node_id is not None:
        if from_node is not None or from_run is not None:
            raise _bad_param("node_id", "give node_id, or from_node and from_run, not both")
        return _node_request(app, user, raw, node_id, node_inputs or {}, inputs, query)
    base = RunRequest(
        app=app,
        graph=get_compiled_draft(raw, app.workspace_id),
        source=RunSource.PORTAL if origin == "portal" else RunSource.DRAFT,
        inputs=inputs,
        query=query,
        end_user=user.email,
        conversation_id=conversation_id,
        triggered_by=user,
        spec=raw,
    )
    if from_node is None and from_run is None:
        return base
    if from_node is None:
        raise _bad_param("from_node", "from_run needs from_node, the node to run again from")
    if from_run is None:
        raise _bad_param("from_run", "from_node needs from_run, the run whose results to reuse")
    return _rerun_request(base, from_node, from_run)


def _bad_param(name: str, message: str, **data: Any) -> ApiError:
    return ApiError("invalid_param", 422, message, field=name, **data)


def _node_request(
    app: App,
    user: User,
    raw: Any,
    node_id: str,
    node_inputs: Mapping[str, Any],
    inputs: dict[str, Any],
    query: str,
) -> RunRequest:
    try:
        graph = compile_node(parse_spec(open_secrets(raw)), node_id)
    except KeyError:
        raise _bad_param("node_id", f"the draft has no node {node_id!r}") from None
    try:
        values = nest_values(node_inputs)
    except ValueError as exc:
        raise _bad_param("node_inputs", str(exc)) from None
    sys, env = values.pop(SYS_SCOPE, {}), values.pop(ENV_SCOPE, {})
    return RunRequest(
        app=app,
        graph=graph,
        source=RunSource.DEBUG,
        inputs=inputs,
        query=str(sys.get("query", query)),
        end_user=user.email,
        triggered_by=user,
        env=env,
        history=[],
        sys=sys,
        seed={scope: (outputs, SOURCE_HANDLE) for scope, outputs in values.items()},
    )


def _rerun_request(req: RunRequest, from_node: str, from_run: str) -> RunRequest:
    graph = req.graph
    if from_node not in graph.nodes:
        raise _bad_param("from_node", f"the draft has no node {from_node!r}")
    pk = parse_uuid(from_run)
    run = Run.objects.filter(pk=pk, app=req.app).first() if pk else None
    if run is None:
        raise _bad_param("from_run", f"this app has no run {from_run}")
    again = {from_node} | nx.descendants(graph.graph, from_node)
    rows = results_of(run)
    for node_id in graph.nodes:
        if node_id in again:
            continue
        status, outputs, handle = rows.get(node_id, ("missing", {}, ""))
        if status == RunStatus.SUCCEEDED:
            req.seed[node_id] = (outputs, handle or SOURCE_HANDLE)
        elif status == "skipped":
            req.seed[node_id] = ({}, None)
        else:
            raise _bad_param(
                "from_run",
                f"node {node_id} has no result in run {from_run} to reuse; run it again too",
                node_id=node_id,
            )
    req.inputs = dict(run.inputs)
    req.reused_from = run
    if not req.query:
        req.query = Message.objects.filter(run=run).values_list("query", flat=True).first() or ""
    return req


@dataclass
class RunHandle:
    """A started run: its ids, its event queue and its stop switch."""

    run_id: str
    conversation_id: str | None
    message_id: str | None
    cancel: asyncio.Event
    queue: asyncio.Queue[RunEvent | None] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None
    app_id: int = 0

    async def events(self) -> AsyncIterator[RunEvent]:
        """The run's events, in order, ending with RunFinished once the trace is saved."""
        async for batch in self.batches():
            for event in batch:
                yield event

    async def wait(self, each: Callable[[RunEvent], object] | None = None) -> RunFinished | None:
        """Wait for the run to end (a blocking call), showing `each` every event on the way; its
        RunFinished once the trace is saved, or None when the run crashed (its trace says why)."""
        async for event in self.events():
            if each is not None:
                each(event)
            if isinstance(event, RunFinished):
                return event
        return None

    async def batches(self, idle_s: float | None = None) -> AsyncIterator[list[RunEvent]]:
        """The events in order, grouped as they are ready (one write per group for streams);
        an empty list whenever `idle_s` passes without any (time for an SSE ping)."""
        while True:
            if self.queue.empty():
                try:
                    item = await asyncio.wait_for(self.queue.get(), idle_s)
                except TimeoutError:
                    yield []
                    continue
            else:
                item = self.queue.get_nowait()
            batch: list[RunEvent] = []
            while item is not None:
                batch.append(item)
                if self.queue.empty():
                    break
                item = self.queue.get_nowait()
            if batch:
                yield batch
            if item is None:
                return

    def stop(self) -> None:
        """Ask the run to stop; it ends with status 'stopped'."""
        self.cancel.set()


_active: dict[str, RunHandle] = {}


def get_active_run(run_id: str) -> RunHandle | None:
    """A run still going in this process."""
    return _active.get(run_id)


def cross_process_stop() -> bool:
    """Whether runs listen for stops from other processes (a channel layer that spans them)."""
    return not isinstance(get_channel_layer(), InMemoryChannelLayer | None)


def _stop_group(run_id: str) -> str:
    return f"weft-run-stop.{run_id}"


async def do_stop_run(run_id: str) -> None:
    """Stop a run: here if it runs in this process, else through the channel layer (Redis)."""
    handle = _active.get(run_id)
    if handle is not None:
        handle.stop()
    elif (layer := get_channel_layer()) is not None:
        await layer.group_send(_stop_group(run_id), {"type": "run.stop"})


async def _listen_for_stop(handle: RunHandle) -> None:
    """With several processes (Redis), a stop request may arrive in another one."""
    layer = get_channel_layer()
    if layer is None:
        return
    channel = await layer.new_channel()
    await layer.group_add(_stop_group(handle.run_id), channel)
    try:
        while (await layer.receive(channel)).get("type") != "run.stop":
            pass
        handle.stop()
    finally:
        await layer.group_discard(_stop_group(handle.run_id), channel)


async def do_start_run(req: RunRequest) -> RunHandle:
    """Queue the Run row, start the engine as a task, and return its handle.

    Only a follow-up chat turn reads the database here (its conversation and memory); the run's
    rows are written by the run-log writer, so a busy server does not serialise on them.
    """
    conversation, new_conversation, history, turn = await _conversation(req)
    run = req.resume_of or Run(
        app=req.app,
        version=req.version,
        source=req.source,
        status=RunStatus.RUNNING,
        inputs=req.inputs,
        conversation=conversation,
        end_user=req.end_user,
        triggered_by=req.triggered_by,
        process=this_process(),
        started_at=timezone.now(),
        reused_from=req.reused_from,
    )
    start = NewRun(run, new_conversation, written=req.resume_of is not None)
    if req.resume_of is None:  # a resumed run's row exists: its record updates it
        run_log.started(start)
    handle = RunHandle(
        run_id=str(run.id),
        conversation_id=str(conversation.id) if conversation else None,
        message_id=str(run.id) if conversation else None,
        cancel=asyncio.Event(),
        app_id=req.app.pk,
    )
    ctx = RunContext(
        run_id=handle.run_id,
        inputs=req.inputs,
        resources=await resolve(needs_of(req.graph), req.app.workspace_id),
        sys={
            "query": req.query,
            "user_id": req.end_user,
            "conversation_id": handle.conversation_id or "",
            "dialogue_count": turn,
            "files": [],
            "app_id": str(req.app.pk),
            "workflow_run_id": handle.run_id,
            **req.sys,
        },
        env=req.env,
        conversation=conversation.variables if conversation else {},
        history=history,
        cancel=handle.cancel,
        seed=req.seed,
        limits=limits().for_runs(),
        replies=req.replies,
        first_index=req.first_index,
    )
    record = RunRecord(start=start, conversation=conversation, query=req.query)
    record.resume_info = {"spec": req.spec, "query": req.query}
    record.carried = req.carried
    _active[handle.run_id] = handle
    handle.task = asyncio.create_task(
        _drive(handle, req.graph, ctx, record), context=run_context(req.app.pk)
    )
    if cross_process_stop():
        listener = asyncio.create_task(_listen_for_stop(handle))
        handle.task.add_done_callback(lambda _: listener.cancel())
    return handle


async def _drive(handle: RunHandle, graph: CompiledGraph, ctx: RunContext, rec: RunRecord) -> None:
    finished: RunFinished | None = None
    try:
        async for event in Engine(graph).run(ctx):
            if (node := rec.add(event)) is not None:
                run_log.progressed(node)  # a killed process keeps the nodes that finished
            if isinstance(event, RunFinished):
                finished = event  # delivered after the trace is saved
            else:
                handle.queue.put_nowait(event)
    except Exception as exc:  # the engine reports node errors as events; this is a bug guard
        log.exception("run %s crashed", handle.run_id)
        # the trace is shown to members: the error's class, never its text (paths, values)
        rec.crash = f"the run stopped on an internal error ({type(exc).__name__}); see the log"
    finally:
        rec.finished_at = timezone.now()
        rec.start.done = True
        try:
            await run_log.finished(rec)
        except Exception as exc:  # the values stay out of the log: ids and the error only
            log.error("could not save the trace of run %s: %s", handle.run_id, error_line(exc))
        _active.pop(handle.run_id, None)
        if finished is not None:
            handle.queue.put_nowait(finished)
        handle.queue.put_nowait(None)


_Memory = tuple[Conversation | None, Conversation | None, list[ChatMessage], int]


async def _conversation(req: RunRequest) -> _Memory:
    """(conversation, the same if it is new, memory, this turn's number: sys.dialogue_count) for
    chat apps; no conversation for the others."""
    if req.history is not None:
        return None, None, req.history, 1 + sum(m.role == "user" for m in req.history)
    if req.app.mode != "chat":
        return None, None, [], 1
    if not req.conversation_id:
        new = Conversation(app=req.app, end_user=req.end_user, name=req.query[:60])
        return new, new, [], 1
    return (*await db_call(_load_conversation, req),)


def _load_conversation(req: RunRequest) -> tuple[Conversation, None, list[ChatMessage], int]:
    # Scoped to the end user as the conversation endpoints are: another user's id is not found.
    pk = parse_uuid(req.conversation_id or "")
    conversation = (
        Conversation.objects.filter(pk=pk, app=req.app, end_user=req.end_user).first()
        if pk
        else None
    )
    if conversation is None:
        raise ApiError(
            "conversation_not_found", 404, "conversation not found", field="conversation_id"
        )
    turns = list(
        Message.objects.filter(conversation=conversation)
        .order_by("-created_at")
        .values_list("query", "answer")[:HISTORY_TURNS]
    )
    history: list[ChatMessage] = []
    for query, answer in reversed(turns):
        history += [ChatMessage("user", query), ChatMessage("assistant", answer)]
    earlier = len(turns)
    if earlier == HISTORY_TURNS:  # memory is a window: count the turns before it too
        earlier = Message.objects.filter(conversation=conversation).count()
    return conversation, None, history, earlier + 1
