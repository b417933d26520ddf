"""/api/tools/servers: the workspace's MCP servers (members list, admins change, editors
refresh); /api/tool-servers: every server a run may call, with its tools as last checked, for
the editor. Another workspace's server is a 404 like a missing one. Env and header values never
leave."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from kernel.access import get_user, require_role_over, require_workspace
from kernel.audit import do_audit
from kernel.errors import ApiError, not_found
from kernel.ids import parse_uuid
from kernel.models import Role
from kernel.tool_sources import builtin_servers
from tools.configs import do_seal_secrets, secret_names
from tools.models import Status as ServerStatus
from tools.models import ToolServer
from tools.refresh import do_refresh_servers, freshness, is_stale
from tools.schemas import ToolServerIn, ToolServerListing, ToolServerOut, ToolServerPatch
from tools.tasks import do_queue_refresh, is_refresh_queued, workers_take_refreshes
from tools.validation import check_name, check_settings, invalid

router = Router(tags=["tools"])
SERVER = "tool server"
EDITABLE = ("transport", "command", "args", "url", "enabled", "connect_timeout_s", "call_timeout_s")


def server_out(row: ToolServer) -> dict[str, Any]:
    """A server as the API shows it: secrets by name only."""
    out = {f: getattr(row, f) for f in (*EDITABLE, "name", "status", "status_message")}
    out.update(
        id=str(row.pk),
        env=secret_names(row.env),
        headers=secret_names(row.headers),
        checked_at=row.checked_at,
        tools=row.tools,
        listed_at=row.listed_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
    return out


def get_server(request: HttpRequest, server_id: str, role: str = Role.VIEWER) -> ToolServer:
    """The server if the caller has `role` in its workspace; 404 for outsiders."""
    pk = parse_uuid(server_id)
    row = ToolServer.objects.filter(pk=pk).first() if pk else None
    if row is None:
        raise not_found(SERVER)
    require_role_over(request, row.workspace_id, role, SERVER)
    return row


@router.get("/tools/servers", response=list[ToolServerOut])
def list_servers(request: HttpRequest, workspace_id: int | None = None) -> list[dict[str, Any]]:
    """The workspace's MCP servers (the current workspace by default), by name."""
    workspace = require_workspace(request, workspace_id, Role.VIEWER)
    return [server_out(row) for row in ToolServer.objects.filter(workspace=workspace)]


@router.post("/tools/servers", response={201: ToolServerOut})
def create_server(request: HttpRequest, body: ToolServerIn) -> Status[dict[str, Any]]:
    """Add an MCP server (admins). A stdio server's command will run on this server."""
    workspace = require_workspace(request, body.workspace_id, Role.ADMIN)
    values = body.model_dump(exclude={"workspace_id"})
    values["name"] = check_name(body.name)
    check_settings(values)
    row = ToolServer(workspace=workspace, created_by=get_user(request))
    _apply(row, values, {}, {})
    _save(request, row, "tools.server.create", force_insert=True)
    return Status(201, server_out(row))


@router.get("/tools/servers/{server_id}", response=ToolServerOut)
def get_server_detail(request: HttpRequest, server_id: str) -> dict[str, Any]:
    """One server of the caller's workspaces."""
    return server_out(get_server(request, server_id))


@router.patch("/tools/servers/{server_id}", response=ToolServerOut)
def update_server(request: HttpRequest, server_id: str, body: ToolServerPatch) -> dict[str, Any]:
    """Change a server (admins); its status is unknown until the next check."""
    row = get_server(request, server_id, Role.ADMIN)
    given = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    values = {f: getattr(row, f) for f in EDITABLE}
    values["env"] = dict.fromkeys(row.env)
    values["headers"] = dict.fromkeys(row.headers)
    values.update(given)
    values["name"] = check_name(given["name"]) if "name" in given else row.name
    check_settings(values)
    _apply(row, values, row.env, row.headers)
    row.status, row.status_message = ServerStatus.UNKNOWN, ""
    _save(request, row, "tools.server.update")
    return server_out(row)


@router.delete("/tools/servers/{server_id}", response={204: None})
def delete_server(request: HttpRequest, server_id: str) -> Status[None]:
    """Remove a server (admins): runs that name it fail saying it is not there."""
    row = get_server(request, server_id, Role.ADMIN)
    with transaction.atomic():
        row.delete()
        do_audit(
            workspace_id=row.workspace_id,
            actor=get_user(request),
            action="tools.server.delete",
            target=str(server_id),
        )
    return Status(204, None)


@router.post("/tools/servers/{server_id}/refresh", response=ToolServerOut)
def refresh_server(request: HttpRequest, server_id: str) -> dict[str, Any]:
    """Connect to the server now, list its tools, and store its status (editors)."""
    row = get_server(request, server_id, Role.EDITOR)
    do_refresh_servers([row])
    row.refresh_from_db()
    return server_out(row)


@router.get("/tool-servers", response=list[ToolServerListing])
def list_tool_servers(
    request: HttpRequest, workspace_id: int | None = None, refresh: bool = False
) -> list[dict[str, Any]]:
    """Every server a run of the workspace may call, with its tools: the built-in ones (listed
    now), then the enabled MCP servers as last checked. It never waits for an MCP server: the
    stale ones (or all of them with `refresh`) are queued for a task worker to check."""
    workspace = require_workspace(request, workspace_id, Role.VIEWER)
    builtin = async_to_sync(_builtin_listing)(workspace.pk)
    rows = [
        r
        for r in ToolServer.objects.filter(workspace=workspace, enabled=True)
        if r.name not in {b["name"] for b in builtin}
    ]
    do_queue_refresh(r for r in rows if refresh or is_stale(r))
    working = workers_take_refreshes()
    return builtin + [_server_listing(r, working and is_refresh_queued(r)) for r in rows]


def _server_listing(row: ToolServer, refreshing: bool) -> dict[str, Any]:
    return {
        "name": row.name,
        "tools": row.tools,
        "builtin": False,
        "status": row.status,
        "error": row.status_message,
        "checked_at": row.checked_at,
        "listed_at": row.listed_at,
        "freshness": freshness(row),
        "refreshing": refreshing,
    }


async def _builtin_listing(workspace_id: int) -> list[dict[str, Any]]:
    listing, now = [], timezone.now()
    for name, session in sorted((await builtin_servers(workspace_id)).items()):
        try:
            tools = [
                {"name": t.name, "description": t.description, "input_schema": t.input_schema}
                for t in await session.list_tools()
            ]
            status, error, listed_at = ServerStatus.OK, "", now
        except Exception as exc:  # a built-in source's failure is shown, not a 500
            tools, status, error, listed_at = [], ServerStatus.ERROR, str(exc), None
        listing.append(
            {
                "name": name,
                "tools": tools,
                "builtin": True,
                "status": status,
                "error": error,
                "checked_at": now,
                "listed_at": listed_at,
                "freshness": "fresh" if listed_at else "never_listed",
                "refreshing": False,
            }
        )
    return listing


def _apply(
    row: ToolServer, values: dict[str, Any], env: dict[str, str], headers: dict[str, str]
) -> None:
    """Set a row's fields from checked values: the other transport's fields are cleared, and
    a secret given as null must be one already stored."""
    stdio = values["transport"] == "stdio"
    for field, stored in (("env", env), ("headers", headers)):
        for name, value in values[field].items():
            if value is None and name not in stored:
                raise invalid(f"{field}.{name}", "give a value")
    row.name, row.transport, row.enabled = values["name"], values["transport"], values["enabled"]
    row.connect_timeout_s, row.call_timeout_s = (
        values["connect_timeout_s"],
        values["call_timeout_s"],
    )
    row.command = values["command"].strip() if stdio else ""
    row.args = list(values["args"]) if stdio else []
    row.env = do_seal_secrets(values["env"], env) if stdio else {}
    row.url = "" if stdio else values["url"].strip()
    row.headers = {} if stdio else do_seal_secrets(values["headers"], headers)


def _save(request: HttpRequest, row: ToolServer, action: str, force_insert: bool = False) -> None:
    try:
        with transaction.atomic():
            row.save(force_insert=force_insert)
            do_audit(
                workspace_id=row.workspace_id,
                actor=get_user(request),
                action=action,
                target=str(row.pk),
                data={"name": row.name},
            )
    except IntegrityError as exc:
        raise ApiError(
            "name_taken",
            409,
            f"name: this workspace already has a server named {row.name!r}",
            field="name",
        ) from exc
