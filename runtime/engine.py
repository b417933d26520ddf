"""The asyncio engine: runs a CompiledGraph and yields typed run events.

Scheduling is a ready queue, not supersteps: a node starts as soon as all its incoming edges are
resolved. The task that finishes a node runs the first newly ready successor itself and spawns a
task for each other one, so parallel branches run concurrently and a chain costs no task switches.

Join rule (see `runtime.compile`): a node with several incoming edges runs once, after every
incoming edge is taken or skipped, and only if at least one was taken; otherwise it is skipped and
the skip propagates downstream. Error strategies: `fail` fails the run (other nodes are
cancelled), `default_value` succeeds with the node's default outputs, `fail_branch` succeeds with
`error_message`/`error_type` on the "fail-branch" handle. Setting `RunContext.cancel` stops the
run: running nodes are cancelled and the run finishes "stopped".

Pausing (human in the loop, see `runtime.pause`): a node that yields `Paused` (or needs
confirmation and has no reply yet) emits NodePaused and resolves none of its edges; the other
branches run on, and once no node is running the run finishes "waiting" with the forms. A resume
is a seeded run whose `RunContext.replies` answer the paused nodes, which run again.

Seeding (re-running from a node, see `runtime._seed`): `RunContext.seed` gives nodes that count
as finished before the run starts, with an earlier run's outputs and handle; they emit no
events. The seed must hold every ancestor of each seeded node. A seed for a node id not in the
graph only provides values (the inputs of a one-node graph from `compile_node`).

Containers (iteration, loop) run their sub-graph through `ctx.subgraph`: each run of it is a
scope of its own (`runtime._subgraph`) whose nodes run exactly as top-level ones do
(`runtime._steps`), their events tagged with the container and the item or round.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

from runtime._events import factory
from runtime._join import JoinState
from runtime._metadata import JoinedMetadata
from runtime._seed import check_seed, seed_run
from runtime._steps import NodeSteps
from runtime._streaming import AnswerStream
from runtime._subgraph import Scope
from runtime.compile import CompiledGraph
from runtime.conversation import ConversationState
from runtime.events import (
    RunEvent,
    RunFinished,
    RunStarted,
    RunStatus,
    TextChunk,
)
from runtime.limits import DEFAULT_LIMITS, RunLimits
from runtime.llm.protocol import ChatMessage
from runtime.masking import Masker
from runtime.pause import PauseForm, Reply
from runtime.resources import (
    CONVERSATION,
    ENVIRONMENT,
    NO_RESOURCES,
    Resources,
    RunEnvironment,
)
from runtime.variables import VariablePool

_now = datetime.now
_text_chunk = factory(TextChunk)
_run_started = factory(RunStarted)
_run_finished = factory(RunFinished)
_MASKED_FIELDS = frozenset({"inputs", "outputs", "error", "text", "metadata", "data"})


@dataclass(slots=True)
class RunContext:
    """What a run is given: inputs, resources (models, retrievers, …), system/env variables,
    memory, stop flag, limits."""

    run_id: str
    resources: Resources = NO_RESOURCES  # holds at least what the graph's nodes need
    inputs: Mapping[str, Any] = field(default_factory=dict)
    sys: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, Any] = field(default_factory=dict, repr=False)  # may hold secrets
    # the conversation's stored variables (chat apps); the graph's defaults fill in the rest
    conversation: Mapping[str, Any] = field(default_factory=dict, repr=False)
    history: Sequence[ChatMessage] = ()
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    # node → (outputs, handle taken, or None when skipped), finished before the run starts
    seed: Mapping[str, tuple[Mapping[str, Any], str | None]] = field(default_factory=dict)
    limits: RunLimits = DEFAULT_LIMITS  # set by the Django side from its settings
    # A resume: the paused nodes' answers (they run again with them) and the steps run before
    replies: Mapping[str, Reply] = field(default_factory=dict)
    first_index: int = 0


class Engine:
    """Runs one compiled workflow; `run()` may be called many times, concurrently."""

    def __init__(self, graph: CompiledGraph) -> None:
        self.graph = graph

    def run(self, ctx: RunContext) -> AsyncGenerator[RunEvent, None]:
        """Run the workflow, yielding RunStarted … RunFinished; `aclose()` cancels it."""
        return _Run(self.graph, ctx).events()


def validate_inputs(graph: CompiledGraph, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Check run inputs against the start node before starting; raises InputError."""
    return graph.start.validate_inputs(inputs)


class _Run(NodeSteps):
    """The mutable state of one run. Only the event loop's thread touches it."""

    def __init__(self, graph: CompiledGraph, ctx: RunContext) -> None:
        self.g, self.ctx, self.run_id = graph, ctx, ctx.run_id
        env = {**graph.env, **ctx.env} if graph.env else ctx.env
        self.talk = ConversationState(
            graph.conversation_types, graph.conversation, ctx.conversation
        )
        sys = {"workflow_run_id": ctx.run_id, **ctx.sys}
        self.pool = VariablePool(sys, env, self.talk.values)
        given = ctx.resources  # the run's own environment unless the caller brings one
        own = RunEnvironment(env)
        given = given if ENVIRONMENT in given else given.add(ENVIRONMENT, own)
        self.resources = given.add(CONVERSATION, self.talk)
        # secret env values never leave the run: every emitted value is masked (see masking)
        masker = Masker(str(env[n]) for n in graph.secrets if n in env) if graph.secrets else None
        self.mask = masker or None
        self.seq = 0
        self.buffer: deque[Any] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.top = Scope(graph.plans, graph.successors, graph.in_degree, self.pool, self.tasks)
        self.join: JoinState = self.top.join
        self.loop: asyncio.AbstractEventLoop
        self.index = ctx.first_index
        self.waiting: list[PauseForm] = []  # forms of the nodes paused for a person
        self.tokens = [0, 0]
        self.status: RunStatus | None = None
        self.stopping = [False]  # shared with run_with_timeout: cancellations are the run's own
        self.error: tuple[str, str, str | None] | None = None
        self.end_outputs: dict[str, Any] = {}
        self.metadata = JoinedMetadata()  # the nodes' metadata lists, joined by key
        self.answer: list[str] = []
        self.streams = {a: AnswerStream(p) for a, p in graph.answers.items()}
        self.routes: dict[str, list[AnswerStream]] = {}
        for s in self.streams.values():
            for src in s.sources():
                self.routes.setdefault(src, []).append(s)
        if ctx.seed:
            check_seed(graph, ctx.seed)

    # -- events -------------------------------------------------------------------------------

    def emit(self, make: Any, **values: Any) -> None:
        """Stamp and queue one event; wakes the consumer."""
        if self.status is not None:
            return
        self.seq += 1
        if self.mask is not None:
            for key in _MASKED_FIELDS.intersection(values):
                values[key] = self.mask.value(values[key])
        values["run_id"] = self.run_id
        values["seq"] = self.seq
        values["at"] = _now(UTC)
        self.buffer.append(make(values))
        w = self.waiter
        if w is not None and not w.done():
            w.set_result(None)

    def chunks(self, answer_id: str, pieces: list[str]) -> None:
        """Emit TextChunks of an answer node."""
        for piece in pieces:
            self.answer.append(piece)
            self.emit(_text_chunk, node_id=answer_id, text=piece)

    async def events(self) -> AsyncGenerator[RunEvent, None]:
        """The consumer side: yield queued events until the run has finished."""
        t0 = perf_counter()
        loop = self.loop = asyncio.get_running_loop()
        self.emit(_run_started, inputs=dict(self.ctx.inputs))
        watcher = loop.create_task(self._watch_cancel())
        seed = self.ctx.seed
        ready = seed_run(self, seed) if seed else []
        if self.g.start_id not in seed:
            self.spawn(self.top, self.g.start_id, None)
        for node_id, pred in ready:
            self.spawn(self.top, node_id, pred)
        try:
            while True:
                while self.buffer:
                    yield self.buffer.popleft()
                if self.status is not None:
                    break
                self.waiter = loop.create_future()
                await self.waiter
            await self._reap()
            while self.buffer:
                yield self.buffer.popleft()
            yield self._finished(t0)
        finally:
            watcher.cancel()
            for task in list(self.tasks):
                task.cancel()

    def _finished(self, t0: float) -> RunFinished:
        code, error, failed = self.error or (None, None, None)
        answer = "".join(self.answer) if self.g.mode == "chat" else ""
        whole = self.g.mode == "workflow" or self.g.result_node is not None
        outputs = self.end_outputs if whole else {"answer": answer}
        metadata, talk = self.metadata.lists, self.talk.changed()
        if self.mask is not None:
            outputs, answer = self.mask.value(outputs), self.mask.text(answer)
            metadata, talk = self.mask.value(metadata), self.mask.value(talk)
            error = None if error is None else self.mask.text(error)
        self.seq += 1
        return _run_finished(
            {
                "run_id": self.run_id,
                "seq": self.seq,
                "at": _now(UTC),
                "status": self.status or "succeeded",
                "outputs": outputs,
                "answer": answer,
                "error_code": code,
                "error": error,
                "failed_node_id": failed,
                "elapsed_ms": (perf_counter() - t0) * 1000,
                "prompt_tokens": self.tokens[0],
                "completion_tokens": self.tokens[1],
                "total_steps": self.index,
                "metadata": metadata,
                "waiting": self.waiting if self.status == "waiting" else [],
                "conversation": talk,
            }
        )

    async def _watch_cancel(self) -> None:
        await self.ctx.cancel.wait()
        self.stop("stopped")

    async def _reap(self) -> None:
        tasks = [t for t in self.tasks if not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self, status: RunStatus) -> None:
        """Finish the run with `status`; the consumer cancels what still runs."""
        if self.status is None:
            self.status = status
            self.stopping[0] = True
            w = self.waiter
            if w is not None and not w.done():
                w.set_result(None)
