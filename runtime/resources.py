"""Typed resources a node may need: model clients, retrievers, tool sessions, environment values,
the outbound-request policy.

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

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator

from runtime.code_sandbox import CodeLimits
from runtime.errors import MissingResourceError
from runtime.llm.protocol import ModelResolver
from runtime.outbound import OutboundPolicy

T = TypeVar("T")


@dataclass(frozen=True, slots=True, eq=False)
class Resource(Generic[T]):
    """The key of one kind of resource; T is the protocol its implementations follow."""

    name: str  # shown in errors and issues: "retriever"
    description: str = ""
    # Said when a workspace has no provider of it, where that is a setting rather than a missing
    # app (compile's missing_resource issue and the run's MissingResourceError say it).
    unavailable: str = ""

    def __repr__(self) -> str:
        return f"Resource({self.name!r})"


RetrievalMode = Literal["hybrid", "vector", "full_text"]
FilterOp = Literal["is", "is_not", "contains", "not_contains", "gt", "gte", "lt", "lte"]
_NEGATED: frozenset[str] = frozenset({"is_not", "not_contains"})
_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


@dataclass(frozen=True, slots=True)
class RetrievedChunk:
    """One retrieved passage, as a Retriever returns it (best first).

    `score` is the fused score in [0, 1] (after any rerank): what the ranking and a score
    threshold use. `vector_score` and `full_text_score` are each method's own score, None where
    the method did not run (one-method modes). `metadata` is its document's metadata.
    `as_citation()` is Dify's `retriever_resources` item, `as_result()` the knowledge node's.
    """

    content: str
    score: float = 0.0
    document_id: str = ""
    document_name: str = ""
    dataset_id: str = ""
    dataset_name: str = ""
    segment_id: str = ""
    vector_score: float | None = None
    full_text_score: float | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def as_citation(self, position: int) -> dict[str, Any]:
        """The passage as Dify lists it in a message's `retriever_resources` (1-based)."""
        return {
            "position": position,
            "content": self.content,
            "score": self.score,
            "document_id": self.document_id,
            "document_name": self.document_name,
            "dataset_id": self.dataset_id,
            "dataset_name": self.dataset_name,
            "segment_id": self.segment_id,
            "doc_metadata": dict(self.metadata),
        }

    def as_result(self) -> dict[str, Any]:
        """The passage as an item of the knowledge node's `result` (Dify's title is the
        document's name)."""
        return {
            "content": self.content,
            "title": self.document_name,
            "score": self.score,
            "document_id": self.document_id,
            "document_name": self.document_name,
            "dataset_id": self.dataset_id,
            "dataset_name": self.dataset_name,
            "segment_id": self.segment_id,
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_result(cls, item: Mapping[str, Any]) -> RetrievedChunk:
        """The passage back from a `result` item (a value that went through the pool)."""
        meta = item.get("metadata")
        score = item.get("score")
        return cls(
            content=str(item.get("content", "")),
            score=float(score) if isinstance(score, int | float) else 0.0,
            document_id=str(item.get("document_id", "")),
            document_name=str(item.get("document_name", item.get("title", ""))),
            dataset_id=str(item.get("dataset_id", "")),
            dataset_name=str(item.get("dataset_name", "")),
            segment_id=str(item.get("segment_id", "")),
            metadata=dict(meta) if isinstance(meta, Mapping) else {},
        )


class MetadataCondition(BaseModel):
    """One condition of a metadata filter (the conditions of a filter all hold: AND).

    `is`/`is_not` compare as numbers when both sides are numbers, else as text; `contains`
    looks for the value in the text (or among the items of a list value); `gt`, `gte`, `lt`,
    `lte` order numbers as numbers and anything else as text (so ISO dates order by date). A
    document without the key meets only the negated conditions (`is_not`, `not_contains`).
    A string value may hold `{{#node.field#}}` references; the node renders them before it
    searches, so a retriever sees plain values.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(min_length=1, title="Metadata key")
    op: FilterOp = Field("is", title="Comparison")
    value: str | int | float = Field("", description="Compared with the document's value.")

    @field_validator("value", mode="before")
    @classmethod
    def _scalar(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError("enter text or a number")
        return value

    def matches(self, metadata: Mapping[str, Any]) -> bool:
        """Whether a document with this metadata meets the condition."""
        if self.key not in metadata:
            return self.op in _NEGATED
        actual = metadata[self.key]
        if self.op in ("contains", "not_contains"):
            items = actual if isinstance(actual, list | tuple) else None
            found = (
                any(_same(i, self.value) for i in items)
                if items is not None
                else str(self.value) in str(actual)
            )
            return found == (self.op == "contains")
        if self.op in ("is", "is_not"):
            return _same(actual, self.value) == (self.op == "is")
        a, b = _ordered(actual, self.value)
        return bool(_ORDER[self.op](a, b))


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _same(a: Any, b: Any) -> bool:
    x, y = _number(a), _number(b)
    return x == y if x is not None and y is not None else str(a) == str(b)


def _ordered(a: Any, b: Any) -> tuple[Any, Any]:
    """Two values made comparable: numbers when both are, else their texts."""
    x, y = _number(a), _number(b)
    return (x, y) if x is not None and y is not None else (str(a), str(b))


class Retriever(Protocol):
    """Searches a workspace's knowledge bases (the rag app provides it per workspace)."""

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
        """The best `top_k` passages for `query` from the given knowledge bases, best first by
        their fused score (after any rerank), each with its per-method scores.

        `mode` picks the methods: both fused ("hybrid"), or one. `weight` is the vector
        method's share of a hybrid fusion (0 to 1, full text gets the rest); None: each
        knowledge base's own setting. Only documents meeting every condition of
        `metadata_filter` are searched. No score threshold: the caller applies it to the fused
        score. Raises KnowledgeBaseNotFoundError for an id that is not a knowledge base of this
        workspace, MetadataKeyNotFoundError for a filter key no document has, and another
        RetrievalError naming what went wrong otherwise.
        """
        ...


@dataclass(frozen=True, slots=True)
class ToolInfo:
    """A tool as its server lists it: its name, what it does, its arguments' JSON Schema."""

    name: str
    description: str = ""
    input_schema: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a tool call returned: its text content (the text blocks joined), its structured
    content (MCP's `structuredContent`, a JSON value; None when it gave none), whether the tool
    reported an error, and every content block as JSON (images and resources included)."""

    text: str = ""
    structured_content: Any = None
    is_error: bool = False
    content: tuple[Mapping[str, Any], ...] = ()


class ToolSession(Protocol):
    """A session with one tool server (MCP or built-in); one may serve many calls at once."""

    async def list_tools(self) -> list[ToolInfo]:
        """The server's tools; raises a ToolError subclass when the server cannot be reached."""
        ...

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any],
        *,
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> ToolResult:
        """Call tool `name` with `arguments` (checked against its input schema first), waiting
        at most `timeout` seconds (None: the session's default) for a result of at most
        `max_bytes` (None: the session's limit). A tool reporting an error comes back with
        `is_error`; everything else that goes wrong raises a ToolError subclass naming it
        (ToolArgumentsError, ToolNotFoundError, ToolResultTooLargeError, McpTimeoutError, …)."""
        ...


class ToolSessions(Protocol):
    """Hands a node the session of a tool server configured in the workspace, by its name."""

    def get(self, server: str) -> ToolSession:
        """The session for `server`; raises MissingResourceError when there is none."""
        ...


class Environment(Protocol):
    """Values a node reads by name outside the variable pool (secrets, API keys)."""

    def get(self, name: str) -> str:
        """The value of `name`; raises MissingResourceError naming it when it is not set."""
        ...


class ConversationStore(Protocol):
    """A run's conversation variables (`runtime.conversation.ConversationState`)."""

    types: dict[str, str]  # each variable's declared type

    def get(self, name: str) -> Any:
        """The variable's value now; KeyError when the app has no such variable."""
        ...

    def set(self, name: str, value: Any) -> None:
        """Give the variable a new value."""
        ...


class CodeRunner(Protocol):
    """Runs a code node's Python (`runtime.code_sandbox.ProcessCodeRunner` on a server)."""

    async def run(self, code: str, inputs: Mapping[str, Any], limits: CodeLimits) -> dict[str, Any]:
        """Call `main(**inputs)` of `code` within `limits` and return the dict it returns;
        raises a CodeError subclass saying what went wrong."""
        ...


MODELS: Resource[ModelResolver] = Resource("models", "chat model clients by provider name")
RETRIEVER: Resource[Retriever] = Resource("retriever", "search over the knowledge bases")
TOOLS: Resource[ToolSessions] = Resource("tools", "sessions with tool servers")
ENVIRONMENT: Resource[Environment] = Resource("environment", "secrets and environment values")
CONVERSATION: Resource[ConversationStore] = Resource(
    "conversation variables", "the values a chat app keeps across a conversation's turns"
)
# Not a protocol: the instance's policy itself (kernel.outbound builds it from settings), which
# a node hands to `runtime.outbound.guarded_client` for the URLs its users chose.
OUTBOUND: Resource[OutboundPolicy] = Resource(
    "outbound policy", "the non-public hosts server-side requests may reach"
)
CODE_SANDBOX: Resource[CodeRunner] = Resource(
    "code sandbox",
    "runs code nodes' Python in a locked-down process",
    unavailable=(
        "the workspace's admin has not turned on code nodes (Members page, Workspace settings)"
    ),
)


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


# every run gives these itself
RUN_RESOURCES: frozenset[Resource[Any]] = frozenset({ENVIRONMENT, CONVERSATION})


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
            said = key.unavailable or f"this run has no {key.name} (none is provided)"
            raise MissingResourceError(said) from None

    def __contains__(self, key: object) -> bool:
        return key in self._given

    def keys(self) -> frozenset[Resource[Any]]:
        """The keys given."""
        return frozenset(self._given)


NO_RESOURCES = Resources()
