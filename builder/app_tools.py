"""The "apps" tool server: each published app of the workspace as a tool of another app's run.

builder registers it as a tool source (builder.apps). A tool is named after the app's slug and
described by its description; its parameters are the serving version's start variables (a chat
app's also `query`, its message). A call runs the serving version as the Service API does (the
same version rule, input check and `do_start_run`, a Run with source "tool"), waits for it,
and returns its outputs (a workflow app) or its answer (a chat app); a run that fails, stops or
waits for a person comes back as an error result saying so. A tool call is stateless: a chat
app keeps no conversation.

An app may not call an app already running above it (itself, directly or through others), and
calls nest at most MAX_DEPTH apps deep: builder._chain knows the chain, ToolRecursionError says
which rule a call broke.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from builder._chain import running_apps
from builder.actions.run_requests import RunRequest
from builder.actions.runs import do_start_run
from builder.models import App, AppMode, RunSource
from builder.published import Published, get_published
from builder.tool_calls import QUERY, check_call
from kernel.db import db_call
from runtime.errors import ToolRecursionError
from runtime.events import RunFinished
from runtime.nodes.start import StartVariable, json_property
from runtime.resources import ToolResult, ToolSession
from runtime.tools import BuiltinTool, BuiltinTools, object_schema, tool_result

SERVER = "apps"
MAX_DEPTH = 4  # apps running one inside another, the outermost included
TIMEOUT_S = 300.0  # a call that names no timeout: a whole run of another app


def app_servers(workspace_id: int) -> dict[str, ToolSession]:
    """The workspace's "apps" server (the builder tool source); apps are read on first use."""
    return {SERVER: BuiltinTools(partial(_load, workspace_id), label=SERVER, timeout_s=TIMEOUT_S)}


async def _load(workspace_id: int) -> list[BuiltinTool]:
    return [app_tool(pub) for pub in await db_call(list_published, workspace_id)]


def list_published(workspace_id: int) -> list[Published]:
    """The serving version of each app of the workspace that has one."""
    apps = App.objects.filter(workspace_id=workspace_id, versions__isnull=False).distinct()
    return [get_published(pk) for pk in apps.order_by("slug").values_list("pk", flat=True)]


def _property(var: StartVariable) -> dict[str, Any]:
    return {**json_property(var), "description": var.label or var.variable}


def input_schema(pub: Published) -> dict[str, Any]:
    """The tool's parameters: the start variables (required unless optional or defaulted);
    a chat app's `query` first (a start variable of that name cannot be given)."""
    props: dict[str, Any] = {}
    required: list[str] = []
    if pub.app.mode == AppMode.CHAT:
        props[QUERY] = {"type": "string", "minLength": 1, "description": "The message to send"}
        required.append(QUERY)
    for var in pub.start_variables():
        if var.variable not in props:
            props[var.variable] = _property(var)
            if var.required and var.default is None:
                required.append(var.variable)
    return object_schema(props, required)


def app_tool(pub: Published) -> BuiltinTool:
    """The app's serving version as a tool."""
    description = pub.app.description or f"Run the app {pub.app.name!r}."
    return BuiltinTool(pub.app.slug, description, input_schema(pub), partial(call_app, pub))


def _check_chain(app: App) -> None:
    chain = running_apps()
    if app.pk in chain:
        raise ToolRecursionError(
            f"app {app.slug!r} is already running in this chain of app calls: an app may not "
            "call itself, directly or through other apps"
        )
    if len(chain) >= MAX_DEPTH:
        raise ToolRecursionError(
            f"calling app {app.slug!r} would run {len(chain) + 1} apps one inside another; "
            f"the limit is {MAX_DEPTH}"
        )


async def call_app(pub: Published, **arguments: Any) -> ToolResult:
    """Run the app's serving version with these arguments (checked by `check_call`, as the
    app's MCP server checks them); its outputs or answer, or an error result when the run did
    not succeed."""
    app = pub.app
    _check_chain(app)
    # the session (BuiltinTools.call_tool) has checked them against input_schema(pub) already
    call = check_call(pub, arguments, schema=None)
    request = RunRequest(
        app=app,
        graph=pub.graph,
        version=pub.version,
        source=RunSource.TOOL,
        inputs=call.inputs,
        query=call.query,
        end_user="tool",
        history=[],  # stateless: no conversation is kept
    )
    handle = await do_start_run(request)
    try:
        end = await handle.wait()
    except BaseException:  # the caller gave up (its timeout, its own run stopped): so does this
        handle.stop()
        raise
    return _answer(app, handle.run_id, end)


def _answer(app: App, run_id: str, end: RunFinished | None) -> ToolResult:
    if end is None:
        return tool_result(f"app {app.slug!r} stopped on an internal error", is_error=True)
    if end.status == "failed":
        where = f" at node {end.failed_node_id}" if end.failed_node_id else ""
        return tool_result(
            f"app {app.slug!r} failed{where}: {end.error or end.error_code}",
            {"run_id": run_id, "status": end.status, "error_code": end.error_code},
            is_error=True,
        )
    if end.status != "succeeded":
        waits = "; it waits for a person's answer in the portal" if end.status == "waiting" else ""
        return tool_result(
            f"app {app.slug!r} ended {end.status} (run {run_id}) without an answer{waits}",
            {"run_id": run_id, "status": end.status},
            is_error=True,
        )
    if app.mode == AppMode.CHAT:
        return tool_result(end.answer, {"answer": end.answer})
    return tool_result(json.dumps(end.outputs, ensure_ascii=False), dict(end.outputs))
