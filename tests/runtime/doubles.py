"""Test doubles of the resource protocols in `runtime.resources` (the model resolver's is
`tests.fakes.FakeModels`), and node types that use them."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from runtime.errors import (
    KnowledgeBaseNotFoundError,
    MetadataKeyNotFoundError,
    MissingResourceError,
)
from runtime.nodes.base import Done, Node, NodeConfig, NodeContext, NodeOutput
from runtime.resources import (
    ENVIRONMENT,
    RETRIEVER,
    TOOLS,
    Environment,
    MetadataCondition,
    RetrievalMode,
    RetrievedChunk,
    Retriever,
    ToolInfo,
    ToolResult,
    ToolSession,
    ToolSessions,
)


@dataclass(frozen=True)
class RetrieveCall:
    """The arguments of one `retrieve` call, as the retriever received them."""

    query: str
    dataset_ids: list[str]
    top_k: int
    mode: RetrievalMode
    weight: float | None
    metadata_filter: list[MetadataCondition]


@dataclass
class ListRetriever:
    """A Retriever over fixed chunks: those of the datasets asked for whose metadata meets the
    filter, best first by their fused score, as given (the mode and weight change nothing).
    It knows the datasets of its chunks and `datasets`; any other is not found, as is a
    filter key no chunk's metadata has."""

    chunks: list[RetrievedChunk] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    calls: list[RetrieveCall] = field(default_factory=list)
    datasets: frozenset[str] = frozenset()

    async def retrieve(
        self,
        query: str,
        dataset_ids: Sequence[str],
        top_k: int,
        *,
        mode: RetrievalMode = "hybrid",
        weight: float | None = None,
        metadata_filter: Sequence[MetadataCondition] = (),
    ) -> list[RetrievedChunk]:
        """The best `top_k` chunks of the datasets asked for that meet the filter."""
        self.queries.append(query)
        conditions = list(metadata_filter)
        self.calls.append(RetrieveCall(query, list(dataset_ids), top_k, mode, weight, conditions))
        known = self.datasets | {c.dataset_id for c in self.chunks}
        for dataset_id in dataset_ids:
            if dataset_id not in known:
                raise KnowledgeBaseNotFoundError(dataset_id)
        wanted = [c for c in self.chunks if c.dataset_id in set(dataset_ids)]
        keys = {k for c in wanted for k in c.metadata}
        for cond in conditions:
            if cond.key not in keys:
                raise MetadataKeyNotFoundError(cond.key)
        found = [c for c in wanted if all(cond.matches(c.metadata) for cond in conditions)]
        return sorted(found, key=lambda c: -c.score)[:top_k]


@dataclass
class RecordingToolSession:
    """A ToolSession answering from a dict of canned results, recording each call: a
    ToolResult is returned as it is, any other value as its structured content (and JSON
    text). `tools` is what `list_tools` lists."""

    results: dict[str, Any] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    tools: list[ToolInfo] = field(default_factory=list)

    async def list_tools(self) -> list[ToolInfo]:
        """The tools given."""
        return list(self.tools)

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any],
        *,
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> ToolResult:
        """The canned result of `name`."""
        self.calls.append((name, dict(arguments)))
        result = self.results[name]
        if isinstance(result, ToolResult):
            return result
        return ToolResult(text=json.dumps(result), structured_content=result)


@dataclass
class ToolServer:
    """A ToolSession over Python functions (the tool's arguments as keywords), recording every
    call's start and end in one ordered list, so a test can tell whether calls overlapped.

    `overlap` > 1 makes each call wait (at most `wait_s`) until that many calls have started:
    calls run in parallel all pass at once, calls run one after another each wait it out, and
    the record shows them one after another."""

    tools: dict[str, Callable[..., Any]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    record: list[tuple[str, str]] = field(default_factory=list)  # ("start"|"end", tool)
    overlap: int = 0
    wait_s: float = 2.0
    _started: int = 0
    _all_in: asyncio.Event = field(default_factory=asyncio.Event)

    async def list_tools(self) -> list[ToolInfo]:
        """Each function as a tool; its parameters are string arguments."""
        return [
            ToolInfo(
                name,
                self.descriptions.get(name, f"the {name} tool"),
                {
                    "type": "object",
                    "properties": {
                        p: {"type": "string"}
                        for p in fn.__code__.co_varnames[: fn.__code__.co_argcount]
                    },
                },
            )
            for name, fn in self.tools.items()
        ]

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any],
        *,
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> ToolResult:
        """Call the function `name` (after the overlap barrier): text as it is, any other
        value as its structured content (and JSON text)."""
        self.calls.append((name, dict(arguments)))
        self.record.append(("start", name))
        self._started += 1
        if self._started >= self.overlap:
            self._all_in.set()
        if self.overlap > 1:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_in.wait(), self.wait_s)
        try:
            value = self.tools[name](**arguments)
        finally:
            self.record.append(("end", name))
        if isinstance(value, str):
            return ToolResult(text=value)
        return ToolResult(text=json.dumps(value), structured_content=value)


@dataclass
class DictToolSessions:
    """ToolSessions over a dict of sessions by server name."""

    sessions: dict[str, ToolSession] = field(default_factory=dict)

    def get(self, server: str) -> ToolSession:
        """The session of `server`."""
        try:
            return self.sessions[server]
        except KeyError:
            raise MissingResourceError(f"no tool server {server!r}") from None


@dataclass
class DictEnvironment:
    """An Environment over a dict."""

    values: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        """The value of `name`."""
        try:
            return self.values[name]
        except KeyError:
            raise MissingResourceError(f"environment value {name!r} is not set") from None


# mypy checks that each double follows its protocol
_checks: tuple[Retriever, ToolSessions, ToolSession, Environment, ToolSession] = (
    ListRetriever(),
    DictToolSessions(),
    RecordingToolSession(),
    DictEnvironment(),
    ToolServer(),
)


class SearchConfig(NodeConfig):
    query: str = "q"
    datasets: list[str] = Field(default_factory=lambda: ["kb"])


class SearchNode(Node[SearchConfig]):
    """Retrieves passages; outputs their text and cites them as Dify's retriever_resources."""

    output_types = {"result": "string"}
    needs = (RETRIEVER,)

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Search, then join the passages."""
        cfg = self.config
        chunks = await ctx.get(RETRIEVER).retrieve(cfg.query, cfg.datasets, 3)
        cited = [c.as_citation(i) for i, c in enumerate(chunks, 1)]
        text = "\n".join(c.content for c in chunks)
        yield Done({"result": text}, metadata={"retriever_resources": cited})


class ToolConfig(NodeConfig):
    server: str = "calc"
    tool: str = "add"
    key_name: str = "API_KEY"


class ToolCallNode(Node[ToolConfig]):
    """Calls a tool with an API key from the environment."""

    output_types = {"result": "any"}
    needs = (TOOLS, ENVIRONMENT)

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Call the tool."""
        cfg = self.config
        key = ctx.get(ENVIRONMENT).get(cfg.key_name)
        result = await ctx.get(TOOLS).get(cfg.server).call_tool(cfg.tool, {"key": key})
        yield Done({"result": result.structured_content})
