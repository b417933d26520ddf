"""What every node type is made of: its config model, its outputs and handles, and `run`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict

from runtime.errors import NodeExecutionError
from runtime.issues import Issue
from runtime.limits import DEFAULT_LIMITS, RunLimits
from runtime.llm.protocol import ChatMessage, Usage
from runtime.pause import PauseForm, Reply
from runtime.resources import NO_RESOURCES, Resource, Resources
from runtime.spec import SOURCE_HANDLE, AppMode, NodeSettings
from runtime.variables import Segment, Selector, VariablePool

Category = Literal["io", "llm", "knowledge", "tools", "logic", "transform"]
VarType = Literal["string", "number", "object", "array", "boolean", "any"]


# JSON Schema hints for the editor's generated forms (`Field(json_schema_extra=TEMPLATE)`).
TEMPLATE: dict[str, Any] = {"widget": "template"}  # text with {{#node.field#}} references
SELECTOR: dict[str, Any] = {"widget": "selector"}  # a variable picked from upstream nodes
MODEL: dict[str, Any] = {"widget": "model"}  # a provider and model of the workspace
KNOWLEDGE_BASES: dict[str, Any] = {"widget": "knowledge_bases"}  # ids of the workspace's KBs
TOOL_SERVER: dict[str, Any] = {"widget": "tool_server"}  # one of the workspace's tool servers
TOOL_NAME: dict[str, Any] = {"widget": "tool"}  # a tool of the server picked beside it
HIDDEN: dict[str, Any] = {"widget": "hidden"}  # kept for Dify's DSL, not shown
CHAT_ONLY: dict[str, Any] = {"modes": ["chat"]}  # shown only in chat apps (e.g. chat memory)
ALL_MODES: frozenset[AppMode] = frozenset({"chat", "workflow"})


def shown_when(field: str, *values: str | bool) -> dict[str, Any]:
    """A JSON Schema hint: the editor shows the field only while `field`, beside it, holds one
    of `values` (an HTTP body's text only for a JSON or raw body)."""
    return {"shown_when": {field: list(values)}}


class NodeConfig(BaseModel):
    """Base of every node's config; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")


C = TypeVar("C", bound=NodeConfig)
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Delta:
    """A streamed piece of an output port (e.g. the `text` port of an LLM node)."""

    port: str
    text: str


@dataclass(frozen=True, slots=True)
class Done:
    """A node's result: its outputs, the source handle it takes, its token usage, and metadata
    about how it got them (JSON values: Dify's `retriever_resources` citations list, agent steps).
    The run's metadata joins every node's list values by key (see `NodeSucceeded.metadata`)."""

    outputs: dict[str, Any]
    handle: str = SOURCE_HANDLE
    usage: Usage | None = None
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Log:
    """One step of a node's work for the trace, shown as it happens (an agent's thought, tool
    call, tool result): `label` says what it is, `step` which round of the node's work it
    belongs to (1-based), `data` the JSON that shows it."""

    label: str
    data: dict[str, Any]
    step: int = 0


@dataclass(frozen=True, slots=True)
class Paused:
    """Instead of Done: the node waits for a person to fill in `form` (see runtime.pause); the
    run resumes by running the node again with the person's `Reply` on its context."""

    form: PauseForm


NodeOutput = Delta | Log | Done | Paused


class SubGraphRunner(Protocol):
    """How a container node runs its sub-graph (the engine gives it one as `ctx.subgraph`)."""

    async def run(self, values: Mapping[str, Any], index: int) -> VariablePool:
        """Run the sub-graph once, its children reading `values` as the container's variables
        (`{{#container.item#}}`), tagged with `index` (the item or round); returns the pool it
        ended with. Raises InnerNodeError when a child fails and its error strategy is fail."""
        ...


@dataclass(slots=True)
class NodeContext:
    """What a running node may use: the pool, its resources, chat memory, cancel flag, limits."""

    run_id: str
    node_id: str
    pool: VariablePool
    resources: Resources = NO_RESOURCES
    inputs: Mapping[str, Any] = field(default_factory=dict)
    history: Sequence[ChatMessage] = ()
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    limits: RunLimits = DEFAULT_LIMITS
    subgraph: SubGraphRunner | None = None  # a container's own sub-graph (see Node.container_start)
    reply: Reply | None = None  # a person's answer to this node's pause, when resuming

    def get(self, key: Resource[R]) -> R:
        """The run's implementation of a resource the node needs (`Node.needs`), typed."""
        return self.resources.get(key)


class Node(Generic[C]):
    """Base of node types; subclasses set the class vars and implement `run`."""

    type_id: ClassVar[str] = ""
    version: ClassVar[int] = 1
    type_title: ClassVar[str] = ""
    category: ClassVar[Category] = "transform"
    description: ClassVar[str] = ""
    config_model: ClassVar[type[NodeConfig]] = NodeConfig
    output_types: ClassVar[Mapping[str, VarType]] = {}
    stream_ports: ClassVar[frozenset[str]] = frozenset()
    dynamic_outputs: ClassVar[bool] = False
    dynamic_handles: ClassVar[bool] = False
    branching: ClassVar[bool] = False  # chooses among several handles
    accepts_input: ClassVar[bool] = True  # False: no edge may end here (the start node)
    # Capabilities the engine and the compiler read instead of type names:
    needs: ClassVar[tuple[Resource[Any], ...]] = ()  # resources `run` gets with `ctx.get`
    starts_run: ClassVar[bool] = False  # a run begins here (exactly one per workflow)
    ends_run_in: ClassVar[frozenset[AppMode]] = frozenset()  # every path must end at one
    shows_text: ClassVar[bool] = False  # `segments()` stream to the user as TextChunks
    answer_port: ClassVar[str | None] = None  # output holding the whole text it shows
    gives_run_outputs: ClassVar[bool] = False  # its outputs are the run's outputs
    asks_person: ClassVar[bool] = False  # its run pauses for a person's answer (`Paused`)
    # The editor's palette: the app modes it offers the type in, and its place there (lower
    # first: the most useful types lead). `default_config(mode)` is what a new node starts with.
    offered_in: ClassVar[frozenset[AppMode]] = ALL_MODES
    palette_rank: ClassVar[int] = 50
    # A container (iteration, loop): the type of the start node inside it, where the sub-graph
    # of its children begins (Dify's iteration-start / loop-start). None: not a container.
    container_start: ClassVar[str | None] = None
    # What one run of a container's sub-graph is called where a trace groups them: an
    # iteration's "item 2", a loop's "round 3".
    inner_run_name: ClassVar[str] = "item"
    starts_container: ClassVar[bool] = False  # it is such a start node

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            if get_origin(base) is Node:
                (model,) = get_args(base)
                if isinstance(model, type) and issubclass(model, NodeConfig):
                    cls.config_model = model

    def __init__(
        self, node_id: str, config: C, settings: NodeSettings | None = None, title: str = ""
    ) -> None:
        self.node_id = node_id
        self.config = config
        self.settings = settings or NodeSettings()
        self.title = title or self.type_title or self.type_id

    @classmethod
    def default_config(cls, mode: AppMode) -> dict[str, Any]:
        """The config a new node of this type starts with in an app of `mode` (JSON): valid as
        it is, or with one issue naming the one thing left to fill in (two where the mode
        leaves two, as a knowledge node's query in a workflow app). Every field with a default
        has it; a subclass sets what depends on the mode."""
        return field_defaults(cls.config_model)

    @classmethod
    def draft_handles(cls, config: Mapping[str, Any]) -> list[str]:
        """The source handles of a node whose config does not validate yet (a field still to
        fill in), read from the raw config as far as it goes: the editor keeps drawing them."""
        return [SOURCE_HANDLE]

    @classmethod
    def handle_labels(cls, config: Mapping[str, Any]) -> dict[str, str]:
        """What the editor writes on source handles instead of their ids (a classifier's class
        labels), read from the raw config as far as it goes; none for most types."""
        return {}

    def resource_needs(self) -> tuple[Resource[Any], ...]:
        """The resources this node's `run` reads: its type's `needs`, or fewer where its config
        leaves one unused (an agent without tools needs no tool sessions)."""
        return self.needs

    def conversation_issues(self, types: Mapping[str, str]) -> list[Issue]:
        """Issues of its config against the app's conversation variables (name → type), such
        as an assignment that does not fit a variable's type; none for most types."""
        return []

    def handles(self) -> list[str]:
        """Source handles an edge may leave from (the engine adds "fail-branch")."""
        return [SOURCE_HANDLE]

    def outputs(self) -> dict[str, VarType]:
        """Output variable names and their types."""
        return dict(self.output_types)

    def references(self) -> list[Selector]:
        """Selectors of the variables this node reads."""
        return []

    def inner_outputs(self) -> dict[str, VarType]:
        """A container's variables its children read (an iteration's `item` and `index`)."""
        return {}

    @classmethod
    def draft_inner_outputs(cls, config: Mapping[str, Any]) -> dict[str, VarType]:
        """A container's variables read from a raw config that does not validate yet (a field
        still to pick): the editor keeps offering them to the children."""
        return {}

    def child_references(self) -> list[Selector]:
        """Selectors a container reads from its sub-graph's pool after each run of it."""
        return []

    def streams(self) -> frozenset[str]:
        """Output ports whose Delta pieces concatenate to the output of the same name."""
        return self.stream_ports

    def validate_inputs(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The run's inputs checked and coerced by the node the run starts at (a `starts_run`
        node declares them; others take them as given); raises InputError naming a field."""
        return dict(inputs)

    def segments(self) -> tuple[Segment, ...]:
        """What a `shows_text` node shows, in order: literal text and selectors."""
        return ()

    def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Run the node: yield Delta pieces, then exactly one Done."""
        raise NotImplementedError


class ContainerStartNode(Node[NodeConfig]):
    """Where the nodes inside a container begin (each item of an iteration, each round of a
    loop). It passes nothing on: the children read the container's own variables. Each
    container type registers its start type as a subclass, with its own title."""

    category = "logic"
    accepts_input = False
    starts_container = True
    offered_in: ClassVar[frozenset[AppMode]] = frozenset()  # made with its container

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Begin one run of the nodes inside."""
        yield Done({})


def field_defaults(model: type[BaseModel]) -> dict[str, Any]:
    """The defaults of a config model's optional fields, as JSON."""
    return {
        name: _json_default(info.get_default(call_default_factory=True))
        for name, info in model.model_fields.items()
        if not info.is_required()
    }


def _json_default(value: Any) -> Any:
    """A field's default as JSON (a nested config model dumped)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, list):
        return [_json_default(v) for v in value]
    return value


def subgraph_of(ctx: NodeContext) -> SubGraphRunner:
    """A container's sub-graph runner; NodeExecutionError when it runs alone (no sub-graph)."""
    if ctx.subgraph is None:
        raise NodeExecutionError(
            f"node {ctx.node_id} runs the nodes inside it: run the whole workflow to try it"
        )
    return ctx.subgraph


def selector_list(value: Sequence[str]) -> Selector:
    """A value_selector list as a tuple selector."""
    return tuple(value)
