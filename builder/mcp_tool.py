"""A published app as one MCP tool: its schema from the start node, its call as a run.

The tool is named after the app's slug and described by the app's description. Its parameters
are the serving version's start variables (types, required, options as enums); a chat app's tool
also takes `query` and an optional `conversation_id`. A call runs the published version as the
Service API does (a Run with source "mcp"); a bad argument or a failed run is a tool result with
`is_error` set and the reason in words, so the calling model can read it and try again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import mcp_types as types

from builder.actions.run_requests import RunRequest
from builder.key_limits import start_run_within_limit
from builder.keys import KeyOwner
from builder.models import AppMode, RunSource
from builder.published import Published
from builder.service_api import blocking_end, run_failure
from builder.tool_calls import CONVERSATION_ID, QUERY, check_call
from kernel.errors import ApiError
from runtime.errors import ToolArgumentsError
from runtime.events import RunFinished
from runtime.nodes.start import StartVariable, json_property
from runtime.tools import object_schema

RUN_ID_META = "weft/run_id"  # the result's `_meta` key of the run that answered


def _property(var: StartVariable) -> dict[str, Any]:
    prop = json_property(var)
    if var.label:
        prop["title"] = var.label
    return prop


def input_schema(pub: Published) -> dict[str, Any]:
    """The tool's JSON Schema: the start variables, plus `query`/`conversation_id` for chat."""
    props: dict[str, Any] = {}
    required: list[str] = []
    if pub.app.mode == AppMode.CHAT:
        props[QUERY] = {"type": "string", "minLength": 1, "description": "The user's message."}
        props[CONVERSATION_ID] = {
            "type": "string",
            "description": "Continue this conversation (the id an earlier answer gave).",
        }
        required.append(QUERY)
    for var in pub.start_variables():
        if var.variable in props:  # `query` is the chat message's; the start node cannot take it
            continue
        props[var.variable] = _property(var)
        if var.required and var.default is None:
            required.append(var.variable)
    return object_schema(props, required)


def tool_of(pub: Published) -> types.Tool:
    """The app's one tool, as tools/list shows it."""
    description = pub.app.description or f"Run the app {pub.app.name!r}."
    return types.Tool(
        name=pub.app.slug,
        title=pub.app.name,
        description=description,
        input_schema=input_schema(pub),
    )


def error_result(message: str) -> types.CallToolResult:
    """A tool result that reports a failure in words (`is_error`), not a protocol error."""
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=message)], is_error=True
    )


def _answer(
    pub: Published, end: RunFinished, run_id: str, conversation_id: str | None
) -> types.CallToolResult:
    if end.status == "failed":
        err = run_failure(end)
        where = f" (node {err.data['node_id']})" if err.data.get("node_id") else ""
        return error_result(f"the run failed{where}: {err.message}")
    if end.status == "waiting":  # a human-input node paused it: MCP has no way to ask
        return error_result(
            f"the run {run_id} is waiting for a person's answer; answer it on the app's page "
            f"in the portal or with POST /v1/workflows/runs/{run_id}/resume"
        )
    if end.status != "succeeded":
        return error_result(f"the run {run_id} was stopped before it answered")
    if pub.app.mode == AppMode.CHAT:
        text = end.answer
        structured: dict[str, Any] = {"answer": end.answer, "conversation_id": conversation_id}
    else:
        structured = dict(end.outputs)
        text = json.dumps(structured, ensure_ascii=False)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content=structured,
        meta={RUN_ID_META: run_id},  # beside the outputs, where no output name can clash
    )


async def call_app(
    owner: KeyOwner, pub: Published, arguments: Mapping[str, Any]
) -> types.CallToolResult:
    """Run the published app with the tool's arguments and wait for its answer."""
    try:
        call = check_call(pub, arguments, schema=input_schema(pub))
        handle = await start_run_within_limit(
            owner,
            RunRequest(
                app=pub.app,
                graph=pub.graph,
                version=pub.version,
                source=RunSource.MCP,
                inputs=call.inputs,
                query=call.query,
                # conversations are scoped to their end user: here, the key that started them
                end_user=f"mcp-key-{owner.key_id}",
                conversation_id=call.conversation_id or None,
            ),
        )
        end = await blocking_end(handle, failure_is_error=False)
    except ToolArgumentsError as exc:
        return error_result(str(exc))
    except ApiError as err:
        field = err.data.get("field")
        return error_result(f"{field}: {err.message}" if field else err.message)
    return _answer(pub, end, handle.run_id, handle.conversation_id)
