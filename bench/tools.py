"""The cost of an MCP tool call through Weft: a tool node with a pooled session, against the
same call made directly with the mcp SDK's client, and the cold start a pooled session saves.

Server: mcp-server-time over stdio (from requirements-dev.txt), tool get_current_time. "weft"
is a whole run of start → tool → end by the engine (events consumed, arguments checked against
the tool's schema, the result read); "direct" is `mcp.Client.call_tool` on an open session.
Calls alternate between the two one by one, so load on the machine falls on both alike. "cold"
is the first call on a fresh pool: start the server, handshake, list tools, call.

Each call is timed twice: wall time (perf_counter) and CPU time (process_time) of this, the
client's, process. The server is a child process whose CPU is not counted, for either side: it
does the same work for both, so `cpu_ratio` compares what each client spends per call, which a
busy shared machine disturbs less than the wall `ratio`.
Usage: python bench/tools.py [--quick] [--calls N]; the last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from pathlib import Path
from time import perf_counter, process_time
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


async def weft_call(engine: Engine, resources: Resources, i: int) -> tuple[float, float]:
    """One run of the graph; its wall and CPU seconds."""
    t, c = perf_counter(), process_time()
    events = [e async for e in engine.run(RunContext(run_id=f"r{i}", resources=resources))]
    took, cpu = perf_counter() - t, process_time() - c
    last = events[-1]
    if not isinstance(last, RunFinished) or last.status != "succeeded":
        raise RuntimeError(f"the run failed: {last}")
    return took, cpu


async def direct_call(client: Client) -> tuple[float, float]:
    """One call with the SDK's client; its wall and CPU seconds."""
    t, c = perf_counter(), process_time()
    result = await client.call_tool(TOOL, ARGS)
    took, cpu = perf_counter() - t, process_time() - c
    if result.is_error:
        raise RuntimeError(f"the call failed: {result}")
    return took, cpu


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
        weft: list[tuple[float, float]] = []
        direct: list[tuple[float, float]] = []
        for i in range(calls):
            weft.append(await weft_call(engine, resources, i))
            direct.append(await direct_call(client))
    cold = [await cold_start() for _ in range(colds)]
    w, d, wc, dc = (
        statistics.median(x[k] for x in side) * 1000 for k in (0, 1) for side in (weft, direct)
    )
    c = statistics.median(cold) * 1000
    return {
        "calls": len(weft),
        "weft_p50_ms": round(w, 3),
        "direct_p50_ms": round(d, 3),
        "ratio": round(w / d, 3),
        "weft_cpu_p50_ms": round(wc, 3),
        "direct_cpu_p50_ms": round(dc, 3),
        "cpu_ratio": round(wc / dc, 3),
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
