"""The workflow spec the editor saves: nodes, edges and per-node run settings (pydantic)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

AppMode = Literal["chat", "workflow"]
ErrorStrategy = Literal["fail", "default_value", "fail_branch"]

SOURCE_HANDLE = "source"
FAIL_BRANCH_HANDLE = "fail-branch"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Position(_Model):
    x: float = 0.0
    y: float = 0.0


class RetrySettings(_Model):
    max_attempts: int = Field(1, ge=1, le=10, description="Total attempts, 1 = no retry.")
    interval_s: float = Field(0.0, ge=0, le=60, description="Seconds between attempts.")


class NodeSettings(_Model):
    """Run settings every node has, whatever its type."""

    timeout_s: float | None = Field(None, gt=0, description="Fail the node after so many seconds.")
    retry: RetrySettings = Field(default_factory=RetrySettings)
    error_strategy: ErrorStrategy = Field(
        "fail",
        description="fail the run, use default outputs, or take the node's fail branch.",
    )
    default_outputs: dict[str, Any] = Field(
        default_factory=dict, description="Outputs used when error_strategy is default_value."
    )


class NodeSpec(_Model):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    type: str
    version: int = 1
    title: str = ""
    config: dict[str, Any] = Field(default_factory=dict)
    settings: NodeSettings = Field(default_factory=NodeSettings)
    position: Position = Field(default_factory=Position)


class EdgeSpec(_Model):
    id: str | None = None
    source: str
    source_handle: str = Field(SOURCE_HANDLE, alias="sourceHandle")
    target: str
    target_handle: str = Field("target", alias="targetHandle")


class WorkflowSpec(_Model):
    """A whole workflow as stored in a draft or a published version."""

    schema_version: int = SCHEMA_VERSION
    mode: AppMode = "chat"
    nodes: list[NodeSpec] = Field(default_factory=list)
    edges: list[EdgeSpec] = Field(default_factory=list)
