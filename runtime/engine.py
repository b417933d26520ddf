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
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import perf_counter
from typing import Any, Never, NoReturn

from runtime._events import factory
from runtime._join import JoinState
from runtime._metadata import JoinedMetadata
from runtime._plan import NodePlan
from runtime._seed import check_seed, seed_run
from runtime._streaming import AnswerStream
from runtime._timeout import run_with_timeout
from runtime.compile import CompiledGraph
from runtime.errors import ConfirmationDeniedError, NodeExecutionError, NodeOutputError
from runtime.events import (
    NodeDelta,
    NodeFailed,
    NodePaused,
    NodeSkipped,
    NodeStarted,
    NodeSucceeded,
    RunEvent,
    RunFinished,
    RunStarted,
    RunStatus,
    TextChunk,
)
from runtime.limits import DEFAULT_LIMITS, RunLimits
from runtime.llm.protocol import ChatMessage
from runtime.masking import Masker, StreamMasker
from runtime.nodes.base import Delta, Done, NodeContext, Paused
from runtime.pause import PauseForm, Reply, approved, confirmation_form
from runtime.resources import ENVIRONMENT, NO_RESOURCES, Resources, RunEnvironment
from runtime.spec import FAIL_BRANCH_HANDLE
from runtime.variables import VariablePool

_now = datetime.now
_node_started = factory(NodeStarted)
_node_succeeded = factory(NodeSucceeded)
_node_delta = factory(NodeDelta)
_text_chunk = factory(TextChunk)
_node_skipped = factory(NodeSkipped)
_node_failed = factory(NodeFailed)
_node_paused = factory(NodePaused)
_run_started = factory(RunStarted)
_run_finished = factory(RunFinished)
_MASKED_FIELDS = frozenset({"inputs", "outputs", "error", "text", "metadata"})


@dataclass(slots=True)
class RunContext:
    """What a run is given: inputs, resources (models, retrievers, …), system/env variables,
    memory, stop flag, limits."""

    run_id: str
    resources: Resources = NO_RESOURCES  # holds at least what the graph's nodes need
    inputs: Mapping[str, Any] = field(default_factory=dict)
    sys: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, Any] = field(default_factory=dict, repr=False)  # may hold secrets
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


class _Run:
    """The mutable state of one run. Only the event loop's thread touches it."""

    def __init__(self, graph: CompiledGraph, ctx: RunContext) -> None:
        self.g, self.ctx, self.run_id = graph, ctx, ctx.run_id
        env = {**graph.env, **ctx.env} if graph.env else ctx.env
        self.pool = VariablePool({"workflow_run_id": ctx.run_id, **ctx.sys}, env)
        given = ctx.resources  # the run's own environment unless the caller brings one
        own = RunEnvironment(env)
        self.resources = given if ENVIRONMENT in given else given.add(ENVIRONMENT, own)
        # secret env values never leave the run: every emitted value is masked (see masking)
        masker = Masker(str(env[n]) for n in graph.secrets if n in env) if graph.secrets else None
        self.mask = masker or None
        self.seq = 0
        self.buffer: deque[Any] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.join = JoinState(graph.successors, graph.in_degree)
        self.tasks: set[asyncio.Task[None]] = set()
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
            self.spawn(self.g.start_id, None)
        for node_id, pred in ready:
            self.spawn(node_id, pred)
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
        metadata = self.metadata.lists
        if self.mask is not None:
            outputs, answer = self.mask.value(outputs), self.mask.text(answer)
            metadata = self.mask.value(metadata)
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

    # -- scheduling ---------------------------------------------------------------------------

    def spawn(self, node_id: str, pred: str | None) -> None:
        """Start a task that runs `node_id` (and the chain behind it)."""
        self.tasks.add(self.loop.create_task(self._drive(node_id, pred)))

    async def _drive(self, node_id: str, pred: str | None) -> None:
        try:
            while self.status is None:
                ready = await self._execute(self.g.plans[node_id], pred)
                if not ready or self.status is not None:
                    return
                for other, other_pred in ready[1:]:
                    self.spawn(other, other_pred)
                node_id, pred = ready[0]
        except Exception as exc:  # a bug in the engine or a node's sync code: fail, never hang
            self._fail(node_id, exc, 1, perf_counter())
        except asyncio.CancelledError as exc:
            if self.status is None:  # not the run's own stop: a node cancelled itself
                self._fail(node_id, exc, 1, perf_counter())
            raise
        finally:
            self.tasks.discard(asyncio.current_task())
            if self.waiting and not self.tasks:  # the last branch ended: wait for a person
                self.stop("waiting")

    def _resolve(self, node_id: str, handle: str | None) -> list[tuple[str, str]]:
        """Mark `node_id`'s edges taken/skipped; skip dead nodes; return nodes now ready."""
        skipped: list[str] = []
        ready = self.join.resolve(node_id, handle, skipped)
        if skipped or not self.join.left:
            self.skipped(skipped)
        return ready

    def skipped(self, node_ids: list[str]) -> None:
        """Emit the skips the join state found; finish the run when no node is left."""
        plans = self.g.plans
        for target in node_ids:
            self.emit(_node_skipped, node_id=target, node_type=plans[target].type_id)
        if not self.join.left:
            self.stop("succeeded")

    # -- one node -----------------------------------------------------------------------------

    async def _execute(self, plan: NodePlan, pred: str | None) -> list[tuple[str, str]]:
        self.index += 1
        pool = self.pool
        inputs = {name: pool.lookup(sel) for name, sel in plan.refs} if plan.refs else {}
        self.emit(
            _node_started,
            node_id=plan.node_id,
            node_type=plan.type_id,
            title=plan.title,
            index=self.index,
            predecessor_node_id=pred,
            inputs=inputs,
        )
        t = perf_counter()
        if plan.needs_confirmation:
            reply = self.ctx.replies.get(plan.node_id)
            if reply is None:
                self._pause(plan, confirmation_form(plan.node_id, plan.title))
                return []
            if not approved(reply):
                denied = ConfirmationDeniedError(f"{plan.title or plan.node_id} was not approved")
                return self._on_error(plan, denied, 1, t)
        attempts = 0
        while True:
            attempts += 1
            try:
                done = await self._attempt(plan)
                break
            except Exception as exc:
                if attempts < plan.max_attempts and self.status is None:
                    await asyncio.sleep(plan.interval_s)
                    continue
                return self._on_error(plan, exc, attempts, t)
        if isinstance(done, Paused):
            self._pause(plan, done.form)
            return []
        return self._on_done(plan, done, attempts, t, None)

    def _pause(self, plan: NodePlan, form: PauseForm) -> None:
        """The node waits for a person: none of its edges resolve until a resume answers it."""
        self.waiting.append(form)
        self.emit(_node_paused, node_id=plan.node_id, node_type=plan.type_id, form=form)

    def _attempt(self, plan: NodePlan) -> Coroutine[Any, Any, Done | Paused]:
        """One attempt at running the node; each attempt gets the full timeout."""
        ctx = self.ctx
        nctx = NodeContext(
            ctx.run_id,
            plan.node_id,
            self.pool,
            self.resources,
            ctx.inputs,
            ctx.history,
            ctx.cancel,
            ctx.limits,
            ctx.replies.get(plan.node_id),
        )
        if plan.timeout_s is None:
            return self._consume(plan, nctx)
        deadline = self.loop.time() + plan.timeout_s
        return run_with_timeout(self._consume(plan, nctx), deadline, plan.node_id, self.stopping)

    async def _consume(self, plan: NodePlan, nctx: NodeContext) -> Done | Paused:
        done: Done | Paused | None = None
        node_id = plan.node_id
        mask, masks = self.mask, dict[str, StreamMasker]()
        async for item in plan.node.run(nctx):
            if isinstance(item, Delta):
                text = item.text
                if mask is not None:  # a secret may be split across deltas
                    if item.port not in masks:
                        masks[item.port] = mask.stream()
                    text = masks[item.port].feed(text)
                    if not text:
                        continue
                self._delta(node_id, item.port, text)
            elif isinstance(item, Done | Paused):
                done = item
            else:
                _unknown_output(node_id, item)
        for port, port_mask in masks.items():
            if rest := port_mask.flush():
                self._delta(node_id, port, rest)
        if done is None:
            raise NodeExecutionError(f"node {node_id} finished without a result")
        return done

    def _delta(self, node_id: str, port: str, text: str) -> None:
        """Emit a node's delta and feed it to the answers it streams into."""
        self.emit(_node_delta, node_id=node_id, port=port, text=text)
        for stream in self.routes.get(node_id, ()):
            self.chunks(stream.plan.answer_id, stream.on_delta(node_id, port, text))

    def _on_done(
        self, plan: NodePlan, done: Done, attempts: int, t: float, exc: Exception | None
    ) -> list[tuple[str, str]]:
        node_id = plan.node_id
        self.pool.set_outputs(node_id, done.outputs)
        usage = done.usage
        if usage is not None:
            self.tokens[0] += usage.prompt_tokens
            self.tokens[1] += usage.completion_tokens
        if done.metadata:
            self.metadata.add(done.metadata)
        if node_id in self.streams:
            port = plan.answer_port
            text = done.outputs.get(port, "") if port is not None else None
            if text is not None:
                text = str(text) if self.mask is None else self.mask.text(str(text))
            self.chunks(node_id, self.streams[node_id].finish(text))
        self.emit(
            _node_succeeded,
            node_id=node_id,
            node_type=plan.type_id,
            outputs=done.outputs,
            handle=done.handle,
            elapsed_ms=(perf_counter() - t) * 1000,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            attempts=attempts,
            error_code=type(exc).__name__ if exc else None,
            error=str(exc) if exc else None,
            metadata=done.metadata if done.metadata is not None else {},
        )
        self._after_output(plan, done)
        return self._resolve(node_id, done.handle)

    def _after_output(self, plan: NodePlan, done: Done) -> None:
        node_id = plan.node_id
        for stream in self.routes.get(node_id, ()):
            self.chunks(stream.plan.answer_id, stream.on_done(node_id))
        if plan.gives_run_outputs or node_id == self.g.result_node:
            self.end_outputs.update(done.outputs)

    def _on_error(
        self, plan: NodePlan, exc: Exception, attempts: int, t: float
    ) -> list[tuple[str, str]]:
        if plan.strategy == "default_value":
            return self._on_done(plan, Done(dict(plan.default_outputs)), attempts, t, exc)
        if plan.strategy == "fail_branch":
            outputs = {"error_message": str(exc), "error_type": type(exc).__name__}
            return self._on_done(plan, Done(outputs, FAIL_BRANCH_HANDLE), attempts, t, exc)
        self._fail(plan.node_id, exc, attempts, t)
        return []

    def _fail(self, node_id: str, exc: BaseException, attempts: int, t: float) -> None:
        plan = self.g.plans[node_id]
        code = type(exc).__name__
        self.emit(
            _node_failed,
            node_id=node_id,
            node_type=plan.type_id,
            error_code=code,
            error=str(exc) or code,
            elapsed_ms=(perf_counter() - t) * 1000,
            attempts=attempts,
        )
        self.error = (code, str(exc) or code, node_id)  # masked in RunFinished
        self.stop("failed")


def _unknown_output(node_id: str, item: Never) -> NoReturn:
    """A node yielded something that is neither a Delta nor a Done. Typed `Never`, so mypy
    flags this call when NodeOutput gains a member the loop above does not handle."""
    kind = type(item).__name__
    raise NodeOutputError(f"node {node_id} yielded a {kind}; a node yields Delta or Done")
