"""The cost of an MCP tool call through Weft: a tool node with a pooled session, against the
same call made directly with the mcp SDK's client, and the cold start a pooled session saves.

Server: mcp-server-time over stdio (from requirements-dev.txt), tool get_current_time. "weft"
is a whole run of start → tool → end by the engine (events consumed, arguments checked against
the tool's schema, the result read); "direct" is `mcp.Client.call_tool` on an open session.
Calls alternate between the two one by one, so load on the machine falls on both alike. "cold"
is the first call on a fresh pool: start the server, handshake, list tools, call.
Usage: python bench/tools.py [--quick] [--calls N]; the last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from pathlib import Path
from time import perf_counter
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mcp import Client, StdioServerParameters

from runtime.compile import CompiledGraph, compile_workflow
from runtime.engine import Engine, RunContext
from runtime.events import RunFinished
from runtime.mcp import McpPool, StdioServer
from runtime.resources import TOOLS, Resources
from runtime.spec import WorkflowSpec

SERVER = str(Path(sys.executable).parent / "mcp-server-time")
TOOL, ARGS = "get_current_time", {"timezone": "Etc/UTC"}
WARM_UP = 10  # calls of each kind before timing: both sessions open, code paths hot


def graph() -> CompiledGraph:
    """start → tool (get_current_time) → end (its json)."""
    arguments = {k: {"type": "constant", "value": v} for k, v in ARGS.items()}
    nodes = [
        {"id": "s", "type": "start", "config": {"variables": []}},
        {
            "id": "t",
            "type": "tool",
            "config": {"server": "time", "tool": TOOL, "arguments": arguments},
        },
        {
            "id": "e",
            "type": "end",
            "config": {"outputs": [{"variable": "now", "value_selector": ["t", "json"]}]},
        },
    ]
    edges = [{"source": "s", "target": "t"}, {"source": "t", "target": "e"}]
    return compile_workflow(
        WorkflowSpec.model_validate({"mode": "workflow", "nodes": nodes, "edges": edges})
    )


async def weft_call(engine: Engine, resources: Resources, i: int) -> float:
    """One run of the graph; its seconds."""
    t = perf_counter()
    events = [e async for e in engine.run(RunContext(run_id=f"r{i}", resources=resources))]
    took = perf_counter() - t
    last = events[-1]
    if not isinstance(last, RunFinished) or last.status != "succeeded":
        raise RuntimeError(f"the run failed: {last}")
    return took


async def direct_call(client: Client) -> float:
    """One call with the SDK's client; its seconds."""
    t = perf_counter()
    result = await client.call_tool(TOOL, ARGS)
    took = perf_counter() - t
    if result.is_error:
        raise RuntimeError(f"the call failed: {result}")
    return took


async def cold_start() -> float:
    """Seconds of the first call on a fresh pool (the server started for it)."""
    async with McpPool() as pool:
        t = perf_counter()
        await pool.session(StdioServer(command=SERVER)).call_tool(TOOL, ARGS)
        return perf_counter() - t


async def main(calls: int, colds: int) -> dict[str, Any]:
    engine = Engine(graph())
    async with McpPool() as pool, Client(StdioServerParameters(command=SERVER)) as client:
        resources = Resources().add(TOOLS, pool.for_servers({"time": StdioServer(command=SERVER)}))
        for i in range(WARM_UP):
            await weft_call(engine, resources, -i)
            await direct_call(client)
        weft: list[float] = []
        direct: list[float] = []
        for i in range(calls):
            weft.append(await weft_call(engine, resources, i))
            direct.append(await direct_call(client))
    cold = [await cold_start() for _ in range(colds)]
    w, d, c = (statistics.median(x) * 1000 for x in (weft, direct, cold))
    return {
        "calls": len(weft),
        "weft_p50_ms": round(w, 3),
        "direct_p50_ms": round(d, 3),
        "ratio": round(w / d, 3),
        "cold_start_ms": round(c, 1),
        "cold_start_saved_ms": round(c - w, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls (under a minute)")
    parser.add_argument("--calls", type=int, default=0, help="calls of each kind")
    args = parser.parse_args()
    calls = args.calls or (300 if args.quick else 2000)
    result = asyncio.run(main(calls, 2 if args.quick else 5))
    print(json.dumps(result))
