"""Helpers for runtime tests: compact specs, test node types, running and summarising runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import networkx as nx
import pytest

from runtime.compile import CompiledGraph, compile_workflow
from runtime.engine import Engine, RunContext
from runtime.events import RunEvent
from runtime.nodes.base import Done, Node, NodeConfig, NodeContext, NodeOutput, VarType
from runtime.resources import MODELS, Resources
from tests.fakes import FakeChatClient, FakeModels


class SleepConfig(NodeConfig):
    delay: float = 0.0
    value: str = ""


class SleepNode(Node[SleepConfig]):
    """Sleeps, then outputs `value`."""

    type_title = "Sleep"
    output_types = {"value": "string"}

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Sleep `delay` seconds."""
        await asyncio.sleep(self.config.delay)
        yield Done({"value": self.config.value or self.node_id})


class FlakyConfig(NodeConfig):
    fail_times: int = 1
    delay: float = 0.0
    first_delay: float = 0.0  # extra sleep on the first call only


class FlakyNode(Node[FlakyConfig]):
    """Fails its first `fail_times` calls with ValueError, then outputs the call count."""

    type_title = "Flaky"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls = 0

    def outputs(self) -> dict[str, VarType]:
        """One output, `calls`."""
        return {"calls": "number"}

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Fail, or succeed, as configured."""
        self.calls += 1
        await asyncio.sleep(self.config.delay + (self.config.first_delay if self.calls == 1 else 0))
        if self.calls <= self.config.fail_times:
            raise ValueError(f"flaky failure {self.calls}")
        yield Done({"calls": self.calls})


def node(node_id: str, type_id: str, **config: Any) -> dict[str, Any]:
    """A node dict; `settings=` is taken out of config."""
    settings = config.pop("settings", {})
    return {"id": node_id, "type": type_id, "config": config, "settings": settings}


def edge(source: str, target: str, handle: str = "source") -> dict[str, Any]:
    """An edge dict."""
    return {"source": source, "target": target, "sourceHandle": handle}


def start(*variables: str) -> dict[str, Any]:
    """A start node `s` with optional text variables."""
    return node(
        "s",
        "start",
        variables=[{"variable": v, "type": "text", "required": False} for v in variables],
    )


def if_flag(node_id: str = "if") -> dict[str, Any]:
    """An if-else node whose case "yes" holds when input `flag` is "y"."""
    cond = {"variable_selector": ["s", "flag"], "comparison_operator": "is", "value": "y"}
    return node(node_id, "if_else", cases=[{"case_id": "yes", "conditions": [cond]}])


def build(
    nodes: Sequence[dict[str, Any]], edges: Sequence[dict[str, Any]], mode: str = "workflow"
) -> CompiledGraph:
    """Compile a spec from node and edge dicts."""
    from runtime.spec import WorkflowSpec

    return compile_workflow(
        WorkflowSpec.model_validate({"mode": mode, "nodes": nodes, "edges": edges})
    )


async def run(
    graph: CompiledGraph, script: list[Any] | None = None, delay_s: float = 0.0, **ctx: Any
) -> list[Any]:  # events; Any so tests read kind-specific fields
    """Run `graph` to the end with a FakeChatClient and return every event."""
    client = FakeChatClient(script=list(script or []), delay_s=delay_s)
    context = RunContext(
        run_id="r", resources=Resources().add(MODELS, FakeModels({"embedded": client})), **ctx
    )
    return [ev async for ev in Engine(graph).run(context)]


def kinds(events: Sequence[RunEvent], node_id: str | None = None) -> list[str]:
    """The kinds of the events (only those of `node_id` when given)."""
    return [e.kind for e in events if node_id is None or getattr(e, "node_id", None) == node_id]


def by_kind(events: Sequence[RunEvent], kind: str) -> list[Any]:
    """The events of one kind."""
    return [e for e in events if e.kind == kind]


def node_ids(events: Sequence[RunEvent], kind: str) -> list[str]:
    """Node ids of the events of one kind, in order."""
    return [e.node_id for e in by_kind(events, kind)]


def seq_of(events: Sequence[RunEvent], kind: str, node_id: str) -> int:
    """The seq of the (single) event of `kind` for `node_id`."""
    (ev,) = [e for e in by_kind(events, kind) if e.node_id == node_id]
    return int(ev.seq)


def neighbour_reads(run: Callable[[], object], monkeypatch: pytest.MonkeyPatch) -> int:
    """How many neighbour lists of networkx graphs `run()` reads: a count of graph steps that
    shows whether an analysis is linear, where a timing would only be noisy."""
    calls = 0
    with monkeypatch.context() as m:
        for name in ("successors", "predecessors", "neighbors"):
            original = getattr(nx.DiGraph, name)

            def counted(self: Any, n: str, _original: Any = original) -> Any:
                nonlocal calls
                calls += 1
                return _original(self, n)

            m.setattr(nx.DiGraph, name, counted)
        run()
    return calls
