"""Request and response schemas of the editor's JSON API (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field


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


class AppPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = None


class AppOut(Schema):
    id: int
    workspace_id: int
    name: str
    slug: str
    mode: str
    description: str
    created_at: datetime
    updated_at: datetime
    published_version: int | None = None


class DraftOut(Schema):
    spec: dict[str, Any]
    revision: int
    updated_at: datetime
    issues: list[IssueOut]


class DraftIn(Schema):
    spec: dict[str, Any]
    revision: int = Field(description="The revision this edit started from (optimistic lock).")


class DraftSaved(Schema):
    revision: int
    issues: list[IssueOut]


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


class RunIn(Schema):
    inputs: dict[str, Any] = Field(default_factory=dict)
    query: str = ""
    conversation_id: str | None = None


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


class RunDetail(RunOut):
    node_runs: list[NodeRunOut]


class ApiKeyIn(Schema):
    name: str = Field("", max_length=100)


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The full key. It is shown only this once.")


class ProviderIn(Schema):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)
    kind: Literal["openai_compatible", "vllm"]
    base_url: str = Field(pattern=r"^https?://", max_length=500)
    api_key: str = ""
    model_names: list[str] = Field(default_factory=list)


class ProviderOut(Schema):
    name: str
    kind: str
    models: list[str]
    base_url: str | None = None


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
