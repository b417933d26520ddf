"""Request and response schemas of /api/tools/servers and /api/tool-servers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

TransportName = Literal["stdio", "http"]
StatusName = Literal["unknown", "ok", "error"]
FreshnessName = Literal["fresh", "stale", "never_listed"]
Secrets = dict[str, str | None]

_SECRETS = (
    "By name; a value sets it, null keeps the value already stored, a name left out is removed."
)


class ToolServerIn(Schema):
    """A new MCP server of the workspace (admins)."""

    workspace_id: int | None = None
    name: str = Field(description="What tool nodes and agents call it: a-z, 0-9, _ and -.")
    transport: TransportName
    command: str = Field("", description="stdio: the program to run (no shell is used).")
    args: list[str] = Field(default_factory=list, description="stdio: its arguments, one each.")
    env: Secrets = Field(default_factory=dict, description="stdio: its environment. " + _SECRETS)
    url: str = Field("", description="http: its streamable HTTP endpoint.")
    headers: Secrets = Field(
        default_factory=dict, description="http: sent with every request. " + _SECRETS
    )
    enabled: bool = True
    connect_timeout_s: float = Field(30.0, ge=1, le=600)
    call_timeout_s: float = Field(60.0, ge=1, le=3600)


class ToolServerPatch(Schema):
    """A change to a server (admins); a field left out keeps its value."""

    name: str | None = None
    transport: TransportName | None = None
    command: str | None = None
    args: list[str] | None = None
    env: Secrets | None = Field(None, description=_SECRETS)
    url: str | None = None
    headers: Secrets | None = Field(None, description=_SECRETS)
    enabled: bool | None = None
    connect_timeout_s: float | None = Field(None, ge=1, le=600)
    call_timeout_s: float | None = Field(None, ge=1, le=3600)


class SecretOut(Schema):
    name: str
    set: bool


class ToolOut(Schema):
    name: str
    description: str
    input_schema: dict[str, Any]


class ToolServerOut(Schema):
    id: str
    name: str
    transport: TransportName
    command: str
    args: list[str]
    env: list[SecretOut]
    url: str
    headers: list[SecretOut]
    enabled: bool
    connect_timeout_s: float
    call_timeout_s: float
    status: StatusName
    status_message: str
    checked_at: datetime | None
    tools: list[ToolOut]
    listed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ToolServerListing(Schema):
    """A server as the editor's tool panel reads it: its name and tools as last checked."""

    name: str
    tools: list[ToolOut] = Field(description="As its last successful check listed them.")
    builtin: bool = Field(description="Given by Weft (not editable), not an MCP server.")
    status: StatusName = Field(description="What its last check found (unknown: none yet).")
    error: str = Field(description="Why its last check failed, if it did.")
    checked_at: datetime | None = Field(description="When it was last checked.")
    listed_at: datetime | None = Field(description="When a check last listed its tools.")
    freshness: FreshnessName = Field(
        description="fresh: its tools were listed within the last few minutes "
        "(WEFT_TOOL_LIST_TTL_S); stale: by an older check (the last one failed, see status and "
        "error, or one is due, see refreshing); never_listed: no check has listed them yet."
    )
    refreshing: bool = Field(
        description="A task worker is checking it again (queued because it was stale); false "
        "when none is queued or no worker takes the queue: refresh it on the Tools page."
    )
