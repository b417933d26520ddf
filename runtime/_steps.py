"""Scheduling and running nodes, in whichever scope they sit (the engine's half that runs
nodes; `runtime.engine` holds the run's state and its event stream).

A node runs the same way at the top level and inside a container: its attempts, timeout, error
strategy and events. Its scope (`runtime._subgraph.Scope`) says where its outputs go, which
join state its edges resolve in, how its events are tagged, and what its failure ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from time import perf_counter
from typing import TYPE_CHECKING, Any, Never, NoReturn

from runtime._events import factory
from runtime._metadata import JoinedMetadata
from runtime._plan import NodePlan
from runtime._streaming import AnswerStream
from runtime._subgraph import Children, Scope
from runtime._timeout import run_with_timeout
from runtime.errors import (
    ConfirmationDeniedError,
    InnerNodeError,
    NodeExecutionError,
    NodeOutputError,
    PauseInContainerError,
)
from runtime.events import (
    NodeDelta,
    NodeFailed,
    NodeLog,
    NodePaused,
    NodeSkipped,
    NodeStarted,
    NodeSucceeded,
    RunStatus,
)
from runtime.masking import Masker, StreamMasker
from runtime.nodes.base import Delta, Done, Log, NodeContext, Paused
from runtime.pause import PauseForm, approved, confirmation_form, pause_in_container
from runtime.resources import Resources
from runtime.spec import FAIL_BRANCH_HANDLE

if TYPE_CHECKING:
    from runtime.compile import CompiledGraph
    from runtime.engine import RunContext

_node_started = factory(NodeStarted)
_node_succeeded = factory(NodeSucceeded)
_node_delta = factory(NodeDelta)
_node_log = factory(NodeLog)
_node_skipped = factory(NodeSkipped)
_node_failed = factory(NodeFailed)
_node_paused = factory(NodePaused)


class NodeSteps:
    """The engine run's methods that schedule and run nodes (mixed into its run class)."""

    g: CompiledGraph
    ctx: RunContext
    resources: Resources
    loop: asyncio.AbstractEventLoop
    top: Scope
    index: int
    tokens: list[int]
    status: RunStatus | None
    stopping: list[bool]
    waiting: list[PauseForm]  # forms of the nodes paused for a person
    tasks: set[asyncio.Task[None]]  # the top level's running tasks
    error: tuple[str, str, str | None] | None
    end_outputs: dict[str, Any]
    metadata: JoinedMetadata
    mask: Masker | None
    streams: dict[str, AnswerStream]
    routes: dict[str, list[AnswerStream]]
    emit: Callable[..., None]
    chunks: Callable[[str, list[str]], None]
    stop: Callable[[RunStatus], None]

    # -- scheduling ---------------------------------------------------------------------------

    def spawn(self, scope: Scope, node_id: str, pred: str | None) -> None:
        """Start a task that runs `node_id` of `scope` (and the chain behind it)."""
        scope.tasks.add(self.loop.create_task(self._drive(scope, node_id, pred)))

    def _open(self, scope: Scope) -> bool:
        """Whether nodes of `scope` may still run (the run goes on, and so does the scope)."""
        return self.status is None and not scope.closed

    async def _drive(self, scope: Scope, node_id: str, pred: str | None) -> None:
        try:
            while self._open(scope):
                ready = await self._execute(scope, scope.plans[node_id], pred)
                if not ready or not self._open(scope):
                    return
                for other, other_pred in ready[1:]:
                    self.spawn(scope, other, other_pred)
                node_id, pred = ready[0]
        except Exception as exc:  # a bug in the engine or a node's sync code: fail, never hang
            self._fail(scope, node_id, exc, 1, perf_counter())
        except asyncio.CancelledError as exc:
            if self._open(scope):  # not the run's (or scope's) own stop: a node cancelled itself
                self._fail(scope, node_id, exc, 1, perf_counter())
            raise
        finally:
            scope.tasks.discard(asyncio.current_task())
            if self.waiting and not self.tasks:  # the last branch ended: wait for a person
                self.stop("waiting")

    def _resolve(self, scope: Scope, node_id: str, handle: str | None) -> list[tuple[str, str]]:
        """Mark `node_id`'s edges taken/skipped; skip dead nodes; return nodes now ready."""
        skipped: list[str] = []
        ready = scope.join.resolve(node_id, handle, skipped)
        if skipped or not scope.join.left:
            self.skipped(skipped, scope)
        return ready

    def skipped(self, node_ids: list[str], scope: Scope | None = None) -> None:
        """Emit the skips the join state found; finish the run (or the sub-graph run) when no
        node is left."""
        scope = scope or self.top
        plans = scope.plans
        for target in node_ids:
            node_type = plans[target].type_id
            self.emit(_node_skipped, **scope.tags, node_id=target, node_type=node_type)
        if not scope.join.left:
            if scope.nested:
                scope.finish()
            else:
                self.stop("succeeded")

    # -- one node -----------------------------------------------------------------------------

    async def _execute(
        self, scope: Scope, plan: NodePlan, pred: str | None
    ) -> list[tuple[str, str]]:
        self.index += 1
        pool = scope.pool
        inputs = {name: pool.lookup(sel) for name, sel in plan.refs} if plan.refs else {}
        self.emit(
            _node_started,
            **scope.tags,
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
                return self._pause(scope, plan, confirmation_form(plan.node_id, plan.title), t)
            if not approved(reply):
                denied = ConfirmationDeniedError(f"{plan.title or plan.node_id} was not approved")
                return self._on_error(scope, plan, denied, 1, t)
        attempts = 0
        while True:
            attempts += 1
            try:
                done = await self._attempt(scope, plan)
                break
            except Exception as exc:
                if attempts < plan.max_attempts and self._open(scope):
                    await asyncio.sleep(plan.interval_s)
                    continue
                return self._on_error(scope, plan, exc, attempts, t)
        if isinstance(done, Paused):
            return self._pause(scope, plan, done.form, t)
        return self._on_done(scope, plan, done, attempts, t, None)

    def _pause(
        self, scope: Scope, plan: NodePlan, form: PauseForm, t: float
    ) -> list[tuple[str, str]]:
        """The node waits for a person: none of its edges resolve until a resume answers it.
        Inside a container it cannot (a resume seeds top-level nodes only): the node fails."""
        if scope.nested:
            container = self._title(scope.tags.get("container_id", ""))
            confirmation = form.kind == "confirmation"
            why = pause_in_container(plan.title or plan.node_id, container, confirmation)
            return self._on_error(scope, plan, PauseInContainerError(why), 1, t)
        self.waiting.append(form)
        self.emit(_node_paused, node_id=plan.node_id, node_type=plan.type_id, form=form)
        return []

    def _title(self, node_id: str) -> str:
        """A node's title (its id when it has none), at the top level or in a container."""
        for plans in (self.g.plans, *(sub.plans for sub in self.g.containers.values())):
            if node_id in plans:
                return plans[node_id].title or node_id
        return node_id

    def _attempt(self, scope: Scope, plan: NodePlan) -> Coroutine[Any, Any, Done | Paused]:
        """One attempt at running the node; each attempt gets the full timeout."""
        ctx = self.ctx
        sub = self.g.containers.get(plan.node_id)
        nctx = NodeContext(
            ctx.run_id,
            plan.node_id,
            scope.pool,
            self.resources,
            ctx.inputs,
            ctx.history,
            ctx.cancel,
            ctx.limits,
            Children(self, plan.node_id, sub, scope) if sub is not None else None,
            reply=ctx.replies.get(plan.node_id),
        )
        work = self._consume(scope, plan, nctx)
        if plan.timeout_s is None:
            return work
        deadline = self.loop.time() + plan.timeout_s
        return run_with_timeout(work, deadline, plan.node_id, self.stopping)

    async def _consume(self, scope: Scope, plan: NodePlan, nctx: NodeContext) -> Done | Paused:
        done: Done | Paused | None = None
        node_id = plan.node_id
        mask = self.mask
        masks: dict[str, StreamMasker] = {}
        async for item in plan.node.run(nctx):
            if isinstance(item, Delta):
                text = item.text
                if mask is not None:  # a secret may be split across deltas
                    if item.port not in masks:
                        masks[item.port] = mask.stream()
                    text = masks[item.port].feed(text)
                    if not text:
                        continue
                self._delta(scope, node_id, item.port, text)
            elif isinstance(item, Done | Paused):
                done = item
            elif isinstance(item, Log):
                self.emit(
                    _node_log,
                    **scope.tags,
                    node_id=node_id,
                    label=item.label,
                    step=item.step,
                    data=item.data,
                )
            else:
                _unknown_output(node_id, item)
        for port, port_mask in masks.items():
            if rest := port_mask.flush():
                self._delta(scope, node_id, port, rest)
        if done is None:
            raise NodeExecutionError(f"node {node_id} finished without a result")
        return done

    def _delta(self, scope: Scope, node_id: str, port: str, text: str) -> None:
        """Emit a node's delta and feed it to the answers it streams into."""
        self.emit(_node_delta, **scope.tags, node_id=node_id, port=port, text=text)
        for stream in self.routes.get(node_id, ()):
            self.chunks(stream.plan.answer_id, stream.on_delta(node_id, port, text))

    def _on_done(
        self,
        scope: Scope,
        plan: NodePlan,
        done: Done,
        attempts: int,
        t: float,
        exc: Exception | None,
    ) -> list[tuple[str, str]]:
        node_id = plan.node_id
        scope.pool.set_outputs(node_id, done.outputs)
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
            **scope.tags,
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
        return self._resolve(scope, node_id, done.handle)

    def _after_output(self, plan: NodePlan, done: Done) -> None:
        node_id = plan.node_id
        for stream in self.routes.get(node_id, ()):
            self.chunks(stream.plan.answer_id, stream.on_done(node_id))
        if plan.gives_run_outputs or node_id == self.g.result_node:
            self.end_outputs.update(done.outputs)

    def _on_error(
        self, scope: Scope, plan: NodePlan, exc: Exception, attempts: int, t: float
    ) -> list[tuple[str, str]]:
        if plan.strategy == "default_value":
            done = Done(dict(plan.default_outputs))
            return self._on_done(scope, plan, done, attempts, t, exc)
        if plan.strategy == "fail_branch":
            outputs = {"error_message": str(exc), "error_type": type(exc).__name__}
            done = Done(outputs, FAIL_BRANCH_HANDLE)
            return self._on_done(scope, plan, done, attempts, t, exc)
        self._fail(scope, plan.node_id, exc, attempts, t)
        return []

    def _fail(
        self, scope: Scope, node_id: str, exc: BaseException, attempts: int, t: float
    ) -> None:
        """Emit the node's failure; it fails the run, or (inside a container) the sub-graph's
        run, which the container then handles by its own error mode."""
        plan = scope.plans[node_id]
        code = type(exc).__name__
        self.emit(
            _node_failed,
            **scope.tags,
            node_id=node_id,
            node_type=plan.type_id,
            error_code=code,
            error=str(exc) or code,
            elapsed_ms=(perf_counter() - t) * 1000,
            attempts=attempts,
        )
        if scope.nested:
            message = f"{plan.title} failed: {str(exc) or code}"
            scope.finish(InnerNodeError(message, node_id, code))
            return
        self.error = (code, str(exc) or code, node_id)  # masked in RunFinished
        self.stop("failed")


def _unknown_output(node_id: str, item: Never) -> NoReturn:
    """A node yielded something that is neither a Delta nor a Done. Typed `Never`, so mypy
    flags this call when NodeOutput gains a member the loop above does not handle."""
    kind = type(item).__name__
    raise NodeOutputError(f"node {node_id} yielded a {kind}; a node yields Delta, Log or Done")
