"""Test doubles of the resource protocols in `runtime.resources` (the model resolver's is
`tests.fakes.FakeModels`), and node types that use them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from runtime.errors import MissingResourceError
from runtime.nodes.base import Done, Node, NodeConfig, NodeContext, NodeOutput
from runtime.resources import (
    ENVIRONMENT,
    RETRIEVER,
    TOOLS,
    Environment,
    RetrievedChunk,
    Retriever,
    ToolSession,
    ToolSessions,
)


@dataclass
class ListRetriever:
    """A Retriever over fixed chunks: those whose dataset is asked for, in order."""

    chunks: list[RetrievedChunk] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)

    async def retrieve(
        self, query: str, dataset_ids: Iterable[str], top_k: int
    ) -> list[RetrievedChunk]:
        """The first `top_k` chunks of the datasets asked for."""
        self.queries.append(query)
        wanted = set(dataset_ids)
        return [c for c in self.chunks if c.dataset_id in wanted][:top_k]


@dataclass
class RecordingToolSession:
    """A ToolSession answering from a dict of canned results, recording each call."""

    results: dict[str, Any] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def call_tool(self, name: str, arguments: Mapping[str, Any]) -> Any:
        """The canned result of `name`."""
        self.calls.append((name, dict(arguments)))
        return self.results[name]


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
_checks: tuple[Retriever, ToolSessions, Environment] = (
    ListRetriever(),
    DictToolSessions(),
    DictEnvironment(),
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
        yield Done({"result": result})
