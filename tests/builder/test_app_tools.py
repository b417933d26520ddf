"""The "apps" tool server builder registers: each published app of the workspace as a tool (its
start inputs as parameters), a call running the serving version as a run with source "tool";
a workflow app calling another through a tool node; an app calling itself refused."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from builder.app_tools import MAX_DEPTH
from builder.models import Run, RunSource
from kernel.resources import replaced
from kernel.tool_sources import builtin_servers
from runtime.errors import MissingResourceError, ToolArgumentsError
from runtime.resources import TOOLS, ToolSession
from runtime.tools.arguments import ArgumentsChecker
from tests.specs import topic_workflow_spec

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


class Servers:
    """TOOLS as the tools app gives it: the registered sources' servers (no MCP servers)."""

    def __init__(self, servers: Mapping[str, ToolSession]) -> None:
        self.servers = servers

    def get(self, server: str) -> ToolSession:
        if server not in self.servers:
            raise MissingResourceError(f"no tool server {server!r}")
        return self.servers[server]


@pytest.fixture(autouse=True)
def _tools() -> Iterator[None]:
    async def tools(workspace_id: int) -> Servers:
        return Servers(await builtin_servers(workspace_id))

    with replaced(TOOLS, tools):
        yield


def _caller_spec(target: str) -> dict[str, Any]:
    """Start(name) → tool (apps/<target>, name from the start) → End(reply: the tool's JSON)."""
    arguments = {"name": {"type": "variable", "value": ["start", "name"]}}
    return {
        "mode": "workflow",
        "nodes": [
            {"id": "start", "type": "start", "config": {"variables": [{"variable": "name"}]}},
            {
                "id": "call",
                "type": "tool",
                "config": {"server": "apps", "tool": target, "arguments": arguments},
            },
            {
                "id": "end",
                "type": "end",
                "config": {"outputs": [{"variable": "reply", "value_selector": ["call", "json"]}]},
            },
        ],
        "edges": [{"source": "start", "target": "call"}, {"source": "call", "target": "end"}],
    }


async def _apps(workspace_id: int) -> ToolSession:
    return (await builtin_servers(workspace_id))["apps"]


async def test_apps_server_lists_published_apps_with_their_inputs(
    owner: Any, make_member: Any, make_app: Any
) -> None:
    make = sync_to_async(make_app)
    await make(owner, mode="workflow", slug="greeter")
    await make(owner, mode="chat", slug="echo-chat")
    await make(owner, topic_workflow_spec(), mode="workflow", slug="topics")
    await make(owner, mode="workflow", slug="draft-only", publish=False)
    await make(await sync_to_async(make_member)("owner"), mode="workflow", slug="elsewhere")
    tools = {t.name: t for t in await (await _apps(owner.workspace_id)).list_tools()}
    assert sorted(tools) == ["echo-chat", "greeter", "topics"]
    greeter = tools["greeter"].input_schema
    name = {"type": "string", "description": "name", "maxLength": 20}
    assert greeter["properties"]["name"] == name
    assert greeter["required"] == ["name"]
    assert tools["echo-chat"].input_schema["required"] == ["query"]
    topics = tools["topics"].input_schema["properties"]
    assert topics["topic"]["description"] == "Topic"
    assert topics["count"]["type"] == "number"
    assert topics["tone"]["enum"] == ["warm", "dry"]
    assert topics["formal"]["type"] == "boolean"


async def test_calling_an_app_runs_its_published_version_as_a_tool_run(
    owner: Any, make_app: Any
) -> None:
    await sync_to_async(make_app)(owner, mode="workflow", slug="greeter")
    await sync_to_async(make_app)(owner, mode="chat", slug="echo-chat")
    apps = await _apps(owner.workspace_id)
    result = await apps.call_tool("greeter", {"name": "Ada"})
    assert result.structured_content == {"greeting": "Hello, Ada!"}
    assert result.text == '{"greeting": "Hello, Ada!"}'
    assert not result.is_error
    chat = await apps.call_tool("echo-chat", {"query": "hi there"})
    assert (chat.text, chat.structured_content) == ("echo: hi there", {"answer": "echo: hi there"})
    runs = [r async for r in Run.objects.order_by("started_at").select_related("version")]
    assert [(r.source, r.status, r.version is not None) for r in runs] == [
        (RunSource.TOOL, "succeeded", True),
        (RunSource.TOOL, "succeeded", True),
    ]
    assert runs[0].inputs == {"name": "Ada"}
    assert runs[1].conversation_id is None  # a tool call keeps no conversation
    with pytest.raises(ToolArgumentsError) as err:
        await apps.call_tool("greeter", {"name": "x" * 21})
    assert err.value.argument == "name"
    with pytest.raises(ToolArgumentsError) as err:
        await apps.call_tool("greeter", {})
    assert err.value.argument == "name"
    with pytest.raises(ToolArgumentsError) as err:  # the schema's minLength lets spaces by
        await apps.call_tool("echo-chat", {"query": "  "})
    assert (err.value.argument, err.value.reason) == (
        "query",
        "is required: the message to send, as text",
    )


async def test_apps_server_checks_a_calls_arguments_against_the_schema_once(
    owner: Any, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session checks them (as for every built-in tool); check_call does not again."""
    await sync_to_async(make_app)(owner, mode="workflow", slug="greeter")
    apps = await _apps(owner.workspace_id)
    checked: list[Mapping[str, Any]] = []
    check = ArgumentsChecker.check

    def counted(self: ArgumentsChecker, arguments: Mapping[str, Any]) -> None:
        checked.append(dict(arguments))
        check(self, arguments)

    monkeypatch.setattr(ArgumentsChecker, "check", counted)
    result = await apps.call_tool("greeter", {"name": "Ada"})
    assert result.structured_content == {"greeting": "Hello, Ada!"}
    assert checked == [{"name": "Ada"}]


async def test_a_workflow_calls_another_app_through_a_tool_node(owner: Any, make_app: Any) -> None:
    make = sync_to_async(make_app)
    await make(owner, mode="workflow", slug="greeter")
    await make(owner, _caller_spec("greeter"), mode="workflow", slug="caller")
    result = await (await _apps(owner.workspace_id)).call_tool("caller", {"name": "Lin"})
    assert result.structured_content == {"reply": {"greeting": "Hello, Lin!"}}
    sources = [s async for s in Run.objects.values_list("app__slug", "source", "status")]
    assert sorted(sources) == [("caller", "tool", "succeeded"), ("greeter", "tool", "succeeded")]


async def test_an_app_calling_itself_is_refused(owner: Any, make_app: Any) -> None:
    await sync_to_async(make_app)(owner, _caller_spec("selfish"), mode="workflow", slug="selfish")
    result = await (await _apps(owner.workspace_id)).call_tool("selfish", {"name": "x"})
    assert result.is_error
    assert result.structured_content["error_code"] == "ToolRecursionError"
    assert "already running in this chain" in result.text
    runs = [r async for r in Run.objects.values_list("source", "status")]
    assert runs == [("tool", "failed")]  # refused before a second run started


async def test_a_chain_of_apps_deeper_than_the_limit_is_refused(owner: Any, make_app: Any) -> None:
    make = sync_to_async(make_app)
    await make(owner, mode="workflow", slug="greeter")
    target = "greeter"
    for n in range(MAX_DEPTH):  # caller-3 → caller-2 → … → caller-0 → greeter
        await make(owner, _caller_spec(target), mode="workflow", slug=f"caller-{n}")
        target = f"caller-{n}"
    apps = await _apps(owner.workspace_id)
    ok = await apps.call_tool(f"caller-{MAX_DEPTH - 2}", {"name": "Bo"})
    assert not ok.is_error, ok.text
    deep = await apps.call_tool(f"caller-{MAX_DEPTH - 1}", {"name": "Bo"})
    assert deep.is_error
    assert f"the limit is {MAX_DEPTH}" in deep.text
