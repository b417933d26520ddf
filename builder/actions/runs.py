"""Starting, streaming, stopping and recording runs: the only code that writes run rows.

A run is an asyncio task of its own: the client that started it reads its events from a queue, so
a client that goes away never leaves a half-written trace, and `do_stop_run` can stop it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.utils import timezone

from builder._chain import run_context
from builder._logwriter import error_line
from builder.actions._memory import get_memory
from builder.actions.run_requests import RunRequest
from builder.models import Run, RunStatus
from builder.runlog import NewRun, RunRecord, run_log
from kernel.limits import limits
from kernel.processes import this_process
from kernel.resources import resolve
from runtime.compile import CompiledGraph, needs_of
from runtime.engine import Engine, RunContext
from runtime.events import RunEvent, RunFinished

log = logging.getLogger(__name__)


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
    conversation, new_conversation, history, turn = await get_memory(req)
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
