"""Request and response schemas of the editor's JSON API (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, StringConstraints

from runtime.nodes.base import Category, VarType
from runtime.pause import PauseForm
from runtime.spec import AppMode


class IssueOut(Schema):
    code: str
    message: str
    node_id: str | None = None
    field: str | None = None


class AppIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    mode: Literal["chat", "workflow"] = "chat"
    slug: str = ""
    description: str = ""
    workspace_id: int | None = None
    template: str = Field(
        "", description="Start from this template (GET /api/app-templates); its mode wins."
    )


class TemplateRoleOut(Schema):
    name: str
    does: str


class AppTemplateOut(Schema):
    id: str
    name: str
    description: str
    mode: Literal["chat", "workflow"]
    card: str = Field("", description="How the template's pattern works, for the picker.")
    roles: list[TemplateRoleOut] = Field(default_factory=list)


class AppPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = None
    mcp_enabled: bool | None = Field(
        None, description="Serve the published app as an MCP server (/mcp/server/<slug>/mcp)."
    )


class AppOut(Schema):
    id: int
    workspace_id: int
    name: str
    slug: str
    mode: str
    description: str
    mcp_enabled: bool = Field(description="Whether the app is served as an MCP server.")
    created_at: datetime
    updated_at: datetime
    published_version: int | None = None


class DslImportOut(Schema):
    app: AppOut
    warnings: list[IssueOut] = Field(
        description="What the import changed or left out, and the draft's compile issues."
    )


class DslUpdateOut(Schema):
    revision: int = Field(description="The draft's new revision.")
    warnings: list[IssueOut] = Field(
        description="What the import changed or left out, and the draft's compile issues."
    )


class NodeShapeOut(Schema):
    handles: list[str] = Field(description="Source handles an edge may leave from.")
    outputs: dict[str, VarType] = Field(description="Output variables: name → type.")
    references: list[list[str]] = Field(description="Selectors of the variables the node reads.")
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Handle → the label shown on it instead of its id (a classifier's classes).",
    )
    inner: dict[str, VarType] = Field(
        default_factory=dict,
        description="A container's variables that only the nodes inside it read: name → type"
        " (an iteration's item and index, a loop's variables and index).",
    )


class GraphReportOut(Schema):
    issues: list[IssueOut]
    nodes: dict[str, NodeShapeOut] = Field(description="The shape of each node, by node id.")
    globals: dict[str, dict[str, VarType]] = Field(
        description='{"sys": {field: type}, "env": {name: type}}: variables every node may read.'
    )


class DraftOut(GraphReportOut):
    spec: dict[str, Any]
    revision: int
    updated_at: datetime


class DraftIn(Schema):
    spec: dict[str, Any]
    revision: int = Field(description="The revision this edit started from (optimistic lock).")


class DraftSaved(GraphReportOut):
    revision: int


class RestoreIn(Schema):
    revision: int = Field(description="The draft revision the client has (optimistic lock).")


class ValidateIn(Schema):
    spec: dict[str, Any] | None = None


class PublishIn(Schema):
    note: str = Field("", max_length=500)


class VersionOut(Schema):
    id: int
    number: int
    note: str
    draft_revision: int
    created_at: datetime
    created_by: str | None = None


class VersionDetail(VersionOut):
    spec: dict[str, Any]


class DiffNodeOut(Schema):
    id: str
    type: str
    title: str


class FieldChangeOut(Schema):
    path: str = Field(description='A dotted path such as "config.prompt" or "title".')
    before: Any = None
    after: Any = None


class DiffNodeChangeOut(DiffNodeOut):
    changes: list[FieldChangeOut]


class DiffEdgeOut(Schema):
    source: str
    source_handle: str
    target: str
    target_handle: str


class VersionDiffOut(Schema):
    from_version: int
    to: str = Field(description='The version compared against ("3") or "draft".')
    nodes_added: list[DiffNodeOut]
    nodes_removed: list[DiffNodeOut]
    nodes_changed: list[DiffNodeChangeOut]
    edges_added: list[DiffEdgeOut]
    edges_removed: list[DiffEdgeOut]


class NodeTypeOut(Schema):
    type: str
    version: int
    title: str
    category: Category
    description: str
    config_schema: dict[str, Any] = Field(description="JSON Schema of the node's config.")
    outputs: dict[str, VarType] = Field(description="Static outputs; see dynamic_outputs.")
    dynamic_outputs: bool = Field(description="Outputs depend on the config (the draft's nodes).")
    dynamic_handles: bool = Field(description="Handles depend on the config (the draft's nodes).")
    stream_ports: list[str]
    accepts_input: bool = Field(description="Edges may end at this node (not at a start node).")
    starts_run: bool = Field(description="A run begins at this node; its variables are the inputs.")
    container_start: str | None = Field(
        description="A container (iteration, loop): the type of the start node inside it."
    )
    inner_run_name: str = Field(
        description='A container: what one run of its nodes is called ("item", "round").'
    )
    settings_schema: dict[str, Any] = Field(description="JSON Schema of the run settings.")
    modes: list[AppMode] = Field(description="The app modes whose palette offers this type.")
    rank: int = Field(description="Its place in the palette: lower first (most useful first).")
    defaults: dict[AppMode, dict[str, Any]] = Field(
        description="The config a new node starts with, per offered mode."
    )


class RunIn(Schema):
    inputs: dict[str, Any] = Field(default_factory=dict)
    query: str = ""
    conversation_id: str | None = None
    node_id: str | None = Field(None, description="Run only this node of the saved draft.")
    node_inputs: dict[str, Any] = Field(
        default_factory=dict,
        description='With node_id: values of the variables it reads, by selector ("llm.text").',
    )
    from_node: str | None = Field(
        None, description="Re-run from this node, reusing from_run's results for the others."
    )
    from_run: str | None = Field(None, description="The earlier run of this app to reuse.")
    origin: Literal["editor", "portal"] = Field(
        "editor", description="Where the run was started: the editor or the portal's test form."
    )


class NodeRunOut(Schema):
    node_id: str
    node_type: str
    title: str
    index: int
    status: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    handle: str
    error_code: str
    error: str
    started_at: datetime | None
    elapsed_ms: float
    prompt_tokens: int
    completion_tokens: int
    attempts: int
    metadata: dict[str, Any] = Field(
        description='How the node got its outputs: "retriever_resources" (citations), agent steps.'
    )
    reused_from: str | None = Field(
        None,
        description="The earlier run whose result this re-run reused (null: this run ran it).",
    )
    container_id: str = Field(
        "", description="The iteration or loop the node ran inside (empty: the top level)."
    )
    iteration_path: list[int] = Field(
        default_factory=list,
        description="Which item or round, 0-based, in each container around the node,"
        " outermost first: a node inside one has a row per item or round.",
    )


class RunOut(Schema):
    id: str
    app_id: int
    version: int | None = None
    source: str
    status: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    answer: str
    error_code: str
    error: str
    failed_node_id: str
    conversation_id: str | None = None
    started_at: datetime
    finished_at: datetime | None
    elapsed_ms: float
    prompt_tokens: int
    completion_tokens: int
    total_steps: int
    waiting: list[PauseForm] = Field(
        default_factory=list, description='Status "waiting": the forms it waits on.'
    )


class ResumeIn(Schema):
    answers: dict[str, Any] = Field(
        default_factory=dict, description="The form's answers, by field name."
    )
    node_id: str | None = Field(
        None, description="The paused node to answer; empty: the first one waiting."
    )


class RunDetail(RunOut):
    # the run's joined metadata is not stored: it is the nodes' lists joined by key, in order
    node_runs: list[NodeRunOut]
    query: str | None = Field(
        None, description="A chat run's user message; null: not a chat turn, or not stored yet."
    )


class ApiKeyIn(Schema):
    name: str = Field("", max_length=100)


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiExampleOut(Schema):
    method: str
    url: str
    body: dict[str, Any]
    curl: str = Field(description="The same call as a curl command, ready to paste.")
    version: int | None = Field(
        description="The published version whose inputs it sends; null: the draft's (unpublished)."
    )


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The full key. It is shown only this once.")
    example: ApiExampleOut = Field(
        description="A blocking call of the app with this key, built from its mode and inputs."
    )


ProviderKindName = Literal["openai_compatible", "vllm"]
ModelName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
_BASE_URL = "The server's OpenAI-compatible base, with its version: http://gpu-host:8000/v1."
_MODEL_NAMES = "The models LLM nodes may pick (a check lists what the server serves)."


class ProviderIn(Schema):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)
    kind: ProviderKindName
    base_url: str = Field(pattern=r"^https?://", max_length=500, description=_BASE_URL)
    api_key: str = Field("", max_length=4000)
    model_names: list[ModelName] = Field(
        default_factory=list, max_length=500, description=_MODEL_NAMES
    )


class ProviderPatch(Schema):
    """A change to a provider (admins); a field left out (or null) keeps its value."""

    kind: ProviderKindName | None = None
    base_url: str | None = Field(None, pattern=r"^https?://", max_length=500)
    api_key: str | None = Field(
        None, max_length=4000, description='A new key replaces the stored one; "" removes it.'
    )
    model_names: list[ModelName] | None = Field(None, max_length=500, description=_MODEL_NAMES)


class ProviderCheckIn(Schema):
    """Settings to check before they are saved (admins); on a saved provider, a field left out
    (or null) is the stored one, the API key included."""

    kind: ProviderKindName | None = None
    base_url: str | None = Field(None, pattern=r"^https?://", max_length=500)
    api_key: str | None = Field(None, max_length=4000)


class ProviderCheckOut(Schema):
    status: Literal["ok", "error"]
    error: str = Field("", description="Why the server could not be used, in words.")
    models: list[str] = Field(
        default_factory=list, description="The models the server lists at GET /v1/models."
    )


class ProviderOut(Schema):
    name: str
    kind: str
    models: list[str]
    labels: dict[str, str] = Field(
        default_factory=dict,
        description='Display names of some models, e.g. a trained adapter: "<base> + <adapter>".',
    )
    base_url: str | None = None
    builtin: bool = Field(
        False, description="Every workspace has it (the embedded model, VLLM_BASE_URL): read-only."
    )
    model_names: list[str] = Field(
        default_factory=list,
        description="A workspace provider's own models, as an admin listed them; `models` adds "
        "those served through it (trained adapters).",
    )
    api_key_set: bool = Field(False, description="Whether a key is stored; it is never shown.")


class AppRefOut(Schema):
    id: int
    name: str
    slug: str


class ProviderDeletedOut(Schema):
    name: str
    used_by: list[AppRefOut] = Field(
        default_factory=list,
        description="Apps whose published version has a node on this provider: they fail at "
        "that node until a provider of this name is added again or they are republished.",
    )
    warning: str = ""


class WorkspaceOut(Schema):
    id: int
    name: str
    slug: str
    role: str


class MeOut(Schema):
    email: str
    name: str
    workspaces: list[WorkspaceOut]
    current_workspace_id: int | None
