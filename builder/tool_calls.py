"""A published app called as a tool (its own MCP server's tool, or the apps tool server's):
the one check of a call's arguments, for both.

The arguments are checked against the tool's input schema by the runtime's JSON-Schema check
(`ArgumentsChecker`, as every MCP and built-in tool's are), then a chat app's message must hold
text, and then the start node checks the inputs as it checks any run's. Each fault is a
ToolArgumentsError naming the argument, so the calling model knows which to fix. The schema
check runs once per call: here for the app's MCP server, in the tool session for the apps tool
server (a `BuiltinTools`, which checks every built-in tool's arguments before calling it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from builder.models import AppMode
from builder.published import Published
from runtime.engine import validate_inputs
from runtime.errors import InputError, ToolArgumentsError
from runtime.resources import ToolInfo
from runtime.tools.arguments import ArgumentsChecker

QUERY = "query"  # a chat app's message
CONVERSATION_ID = "conversation_id"  # a chat app's conversation to go on with (MCP only)


@dataclass(frozen=True, slots=True)
class AppCall:
    """A checked call: the run's inputs, a chat app's message and conversation ("": none)."""

    inputs: dict[str, Any]
    query: str = ""
    conversation_id: str = ""


def check_call(
    pub: Published, arguments: Mapping[str, Any], *, schema: Mapping[str, Any] | None
) -> AppCall:
    """The run a call of the app's tool asks for; ToolArgumentsError naming the argument that
    does not fit `schema` (the tool's input schema; None where the tool session has checked the
    arguments against it already) or the start node's inputs."""
    tool = pub.app.slug
    if schema is not None:
        ArgumentsChecker(ToolInfo(tool, "", schema)).check(arguments)
    chat = pub.app.mode == AppMode.CHAT
    query: Any = ""
    if chat:
        query = arguments.get(QUERY)
        if not isinstance(query, str) or not query.strip():
            raise ToolArgumentsError(tool, QUERY, "is required: the message to send, as text")
    own = (QUERY, CONVERSATION_ID) if chat else ()
    given = {k: v for k, v in arguments.items() if k not in own}
    try:
        inputs = validate_inputs(pub.graph, given)
    except InputError as exc:
        raise ToolArgumentsError(tool, exc.field, exc.reason) from exc
    conversation = arguments.get(CONVERSATION_ID) if chat else None
    return AppCall(inputs, query, conversation if isinstance(conversation, str) else "")
