"""The tool node in workflows run by the engine, on real MCP sessions (our stdio test server):
arguments from constants, variables and text; results as outputs; each failure a typed error
that the node's error strategy handles while the run's other branches go on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from runtime.compile import validate
from runtime.engine import Engine, RunContext
from runtime.mcp import McpPool
from runtime.nodes.tool import ToolNode
from runtime.resources import TOOLS, Resources
from runtime.spec import WorkflowSpec
from tests.runtime.helpers import build, by_kind, edge, node, start
from tests.runtime.mcp_servers import faulty


@pytest.fixture
async def pool() -> AsyncIterator[McpPool]:
    async with McpPool(connect_timeout_s=60, call_timeout_s=30) as pool:
        yield pool


def tool(
    node_id: str,
    name: str,
    settings: dict[str, Any] | None = None,
    server: str = "test",
    **args: Any,
) -> Any:
    """A tool node calling `name` on `server` with these arguments."""
    return node(node_id, "tool", server=server, tool=name, arguments=args, settings=settings or {})


async def run(pool: McpPool, nodes: list[Any], edges: list[Any], **inputs: Any) -> list[Any]:
    graph = build(nodes, edges)
    # the same server program under two configs: two sessions, so one crashing leaves the other
    servers = {"test": faulty(), "crashy": faulty(CRASHY="1")}
    tools = Resources().add(TOOLS, pool.for_servers(servers))
    ctx = RunContext(run_id="r", resources=tools, inputs=inputs)
    return [e async for e in Engine(graph).run(ctx)]


def end(**outputs: list[str]) -> Any:
    return node(
        "end",
        "end",
        outputs=[{"variable": k, "value_selector": v} for k, v in outputs.items()],
    )


async def test_tool_node_maps_constants_variables_and_text_to_arguments(pool: McpPool) -> None:
    nodes = [
        start("n", "who"),
        tool(
            "add",
            "add",
            a={"type": "constant", "value": 40},
            b={"type": "variable", "value": ["s", "n"]},
        ),
        tool("greet", "echo", text={"type": "mixed", "value": "hello {{#s.who#}}"}),
        end(total=["add", "json"], text=["greet", "text"], failed=["add", "is_error"]),
    ]
    edges = [edge("s", "add"), edge("s", "greet"), edge("add", "end"), edge("greet", "end")]
    # a start variable of type text: the tool's schema wants an integer, so the run gives one
    nodes[0]["config"]["variables"][0]["type"] = "number"
    events = await run(pool, nodes, edges, n=2, who="Weft")
    assert events[-1].status == "succeeded", events[-1]
    assert events[-1].outputs == {
        "total": {"total": 42, "terms": [40, 2]},
        "text": "hello Weft",
        "failed": False,
    }


async def test_tool_node_failures_follow_the_error_strategy(pool: McpPool) -> None:
    keep_going = {"error_strategy": "default_value", "default_outputs": {"text": "fallback"}}
    branch = {"error_strategy": "fail_branch"}
    nodes = [
        start(),
        tool("bad_args", "add", keep_going, a={"type": "constant", "value": "x"}),
        tool("too_big", "big", keep_going, megabytes={"type": "constant", "value": 2}),
        tool("raises", "boom", branch),
        tool("crashes", "crash", keep_going, server="crashy"),
        tool("fine", "echo", text={"type": "constant", "value": "still here"}),
        node(
            "after_fail",
            "template",
            template="caught {{ e }}",
            variables=[{"variable": "e", "value_selector": ["raises", "error_type"]}],
        ),
        end(
            bad=["bad_args", "text"],
            big=["too_big", "text"],
            crash=["crashes", "text"],
            fine=["fine", "text"],
            caught=["after_fail", "output"],
        ),
    ]
    edges = [
        *(edge("s", n) for n in ("bad_args", "too_big", "raises", "crashes", "fine")),
        *(edge(n, "end") for n in ("bad_args", "too_big", "crashes", "fine")),
        edge("raises", "after_fail", "fail-branch"),
        edge("after_fail", "end"),
    ]
    events = await run(pool, nodes, edges)
    assert events[-1].status == "succeeded", events[-1]
    codes = {e.node_id: e.error_code for e in by_kind(events, "node_succeeded")}
    assert codes["bad_args"] == "ToolArgumentsError"
    assert codes["too_big"] == "ToolResultTooLargeError"  # 2 MB over the run's 1 MiB limit
    assert codes["raises"] == "ToolCallFailedError"
    assert codes["crashes"] == "McpUnavailableError"
    assert codes["fine"] is None
    assert events[-1].outputs == {
        "bad": "fallback",
        "big": "fallback",
        "crash": "fallback",
        "fine": "still here",
        "caught": "caught ToolCallFailedError",
    }


async def test_tool_node_can_output_a_tool_error_instead_of_failing(pool: McpPool) -> None:
    quiet = node("t", "tool", server="test", tool="boom", fail_on_tool_error=False)
    nodes = [start(), quiet, end(text=["t", "text"], failed=["t", "is_error"], js=["t", "json"])]
    events = await run(pool, nodes, [edge("s", "t"), edge("t", "end")])
    assert events[-1].outputs["failed"] is True
    assert "boom" in events[-1].outputs["text"]
    assert events[-1].outputs["js"] is None


async def test_tool_node_without_error_strategy_fails_the_run_naming_the_error(
    pool: McpPool,
) -> None:
    nodes = [start(), tool("t", "nope"), end(text=["t", "text"])]
    events = await run(pool, nodes, [edge("s", "t"), edge("t", "end")])
    (failed,) = by_kind(events, "node_failed")
    assert failed.error_code == "ToolNotFoundError"
    assert "no tool 'nope'" in failed.error
    assert events[-1].status == "failed"


def test_tool_node_config_reports_the_argument_at_fault() -> None:
    spec = WorkflowSpec.model_validate(
        {
            "mode": "workflow",
            "nodes": [
                start(),
                tool("t", "add", a={"type": "variable", "value": ["s"]}),
                end(text=["t", "text"]),
            ],
            "edges": [edge("s", "t"), edge("t", "end")],
        }
    )
    issues = [i for i in validate(spec) if i.code == "bad_config"]
    assert [i.field for i in issues] == ["arguments.a.variable.value"]
    assert ToolNode.needs == (TOOLS,)
