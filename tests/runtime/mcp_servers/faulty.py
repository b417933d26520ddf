"""An MCP server (the SDK's MCPServer) with well-behaved and misbehaving tools, for the tests.

`python faulty.py` serves over stdio; `python faulty.py --http PORT` over streamable HTTP on
127.0.0.1:PORT at /mcp. Each start appends a line to $STARTS_FILE when it is set, so a test
can count how many processes a pool started.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import TypedDict

from mcp.server.mcpserver import MCPServer

server = MCPServer("faulty")


class Sum(TypedDict):
    total: int
    terms: list[int]


@server.tool(description="Add two integers; the sum comes back as structured content.")
def add(a: int, b: int) -> Sum:
    return {"total": a + b, "terms": [a, b]}


@server.tool(description="Echo a text.")
def echo(text: str) -> str:
    return text


@server.tool(description="The names of the environment variables the server sees.")
def env_names() -> list[str]:
    return sorted(os.environ)


@server.tool(description="Sleep, then say so.")
async def sleep(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return f"slept {seconds}"


@server.tool(description="Return a text of so many megabytes.")
def big(megabytes: int) -> str:
    return "x" * (megabytes * 1024 * 1024)


@server.tool(description="Raise an exception (the server answers with an error result).")
def boom() -> str:
    raise ValueError("boom: the tool failed")


@server.tool(description="Exit the server process in the middle of the call.")
def crash() -> str:
    os._exit(3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, default=0, help="serve streamable HTTP on this port")
    args = parser.parse_args()
    starts = os.environ.get("STARTS_FILE")
    if starts:
        with open(starts, "a") as f:
            f.write(f"{os.getpid()}\n")
    if args.http:
        server.run("streamable-http", host="127.0.0.1", port=args.http)
    else:
        server.run()


if __name__ == "__main__":
    main()
