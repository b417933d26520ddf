"""Typed resources a node may need: model clients, retrievers, tool sessions, environment values.

A node type lists what it uses (`needs = (RETRIEVER,)`) and reads it from its context with
`ctx.get(RETRIEVER)`, typed as the resource's protocol. The run is given a `Resources` holding an
implementation of each need; the Django side fills it per workspace (`kernel.resources`), tests
with the doubles in `tests/runtime/doubles.py`. The engine never looks inside: a node type that
uses a new resource adds the protocol and a `Resource` key here, and nothing in the engine.

Keys are `Resource` objects rather than the protocol classes themselves because a protocol class
cannot be passed where mypy expects a concrete `type[T]`; the key carries the protocol as its type
parameter, so `ctx.get(RETRIEVER)` is a `Retriever` to mypy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from runtime.errors import MissingResourceError
from runtime.llm.protocol import ModelResolver

T = TypeVar("T")


@dataclass(frozen=True, slots=True, eq=False)
class Resource(Generic[T]):
    """The key of one kind of resource; T is the protocol its implementations follow."""

    name: str  # shown in errors and issues: "retriever"
    description: str = ""

    def __repr__(self) -> str:
        return f"Resource({self.name!r})"


@dataclass(frozen=True, slots=True)
class RetrievedChunk:
    """One retrieved passage; `as_citation()` is Dify's `retriever_resources` item."""

    content: str
    score: float = 0.0
    document_id: str = ""
    document_name: str = ""
    dataset_id: str = ""
    dataset_name: str = ""
    segment_id: str = ""

    def as_citation(self, position: int) -> dict[str, Any]:
        """The passage as Dify lists it in a message's `retriever_resources` (1-based)."""
        return {"position": position, **asdict(self)}


class Retriever(Protocol):
    """Searches a workspace's knowledge bases."""

    async def retrieve(
        self, query: str, dataset_ids: Iterable[str], top_k: int
    ) -> list[RetrievedChunk]:
        """The best `top_k` passages for `query` from the given datasets, best first."""
        ...


class ToolSession(Protocol):
    """An open session with one tool server (MCP or built-in)."""

    async def call_tool(self, name: str, arguments: Mapping[str, Any]) -> Any:
        """Call tool `name`; raises an EngineError subclass naming it on failure."""
        ...


class ToolSessions(Protocol):
    """Hands a node the session of a tool server configured in the workspace."""

    def get(self, server: str) -> ToolSession:
        """The session for `server`; raises MissingResourceError when there is none."""
        ...


class Environment(Protocol):
    """Values a node reads by name outside the variable pool (secrets, API keys)."""

    def get(self, name: str) -> str:
        """The value of `name`; raises MissingResourceError naming it when it is not set."""
        ...


MODELS: Resource[ModelResolver] = Resource("models", "chat model clients by provider name")
RETRIEVER: Resource[Retriever] = Resource("retriever", "search over the knowledge bases")
TOOLS: Resource[ToolSessions] = Resource("tools", "sessions with tool servers")
ENVIRONMENT: Resource[Environment] = Resource("environment", "secrets and environment values")


class RunEnvironment:
    """The run's own environment values (the app's env and secrets, decrypted) as `Environment`.

    Every run is given one (unless its context brings its own), so no app provides ENVIRONMENT:
    it is in `RUN_RESOURCES`. What a node reads through it is masked like every other secret."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, object]) -> None:
        self._values = values

    def get(self, name: str) -> str:
        """The value of `name`; MissingResourceError names it when the app does not set it."""
        if name not in self._values:
            raise MissingResourceError(f"the environment value {name!r} is not set for this app")
        return str(self._values[name])


RUN_RESOURCES: frozenset[Resource[Any]] = frozenset({ENVIRONMENT})  # every run gives these itself


class Resources:
    """The resources one run was given, by key; immutable (`add` returns a new one)."""

    __slots__ = ("_given",)

    def __init__(self, given: Mapping[Resource[Any], object] | None = None) -> None:
        self._given: dict[Resource[Any], object] = dict(given or {})

    def add(self, key: Resource[T], value: T) -> Resources:
        """These resources and `value` for `key` (typed: the value follows key's protocol)."""
        return Resources({**self._given, key: value})

    def get(self, key: Resource[T]) -> T:
        """The implementation given for `key`; MissingResourceError names it otherwise."""
        try:
            return cast(T, self._given[key])
        except KeyError:
            raise MissingResourceError(f"this run has no {key.name} (none is provided)") from None

    def __contains__(self, key: object) -> bool:
        return key in self._given

    def keys(self) -> frozenset[Resource[Any]]:
        """The keys given."""
        return frozenset(self._given)


NO_RESOURCES = Resources()
