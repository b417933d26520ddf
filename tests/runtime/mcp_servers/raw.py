"""A hand-written stdio MCP server whose one tool answers with a line that is not JSON.

(The SDK's servers guard their stdout, so a misbehaving server has to be written by hand.)
It speaks just enough of MCP's handshake-era protocol: initialize, tools/list, tools/call.
"""

from __future__ import annotations

import json
import sys
import time

TOOL = {
    "name": "garbage",
    "description": "Answers with a broken line.",
    "inputSchema": {"type": "object"},
}


def reply(request_id: object, result: dict[str, object]) -> None:
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": request_id, "result": result}) + "\n")
    sys.stdout.flush()


def main() -> None:
    for line in sys.stdin:
        message = json.loads(line)
        method, request_id = message.get("method"), message.get("id")
        if request_id is None:
            continue  # a notification
        if method == "initialize":
            reply(
                request_id,
                {
                    "protocolVersion": message["params"]["protocolVersion"],
                    "capabilities": {"tools": {}},
                    "serverInfo": {"name": "raw", "version": "1"},
                },
            )
        elif method == "tools/list":
            reply(request_id, {"tools": [TOOL]})
        elif method == "tools/call":
            sys.stdout.write('{"jsonrpc": "2.0", "id": ' + str(request_id) + ', "result": {oops\n')
            sys.stdout.flush()
            time.sleep(60)
        else:
            error = {"code": -32601, "message": f"no method {method}"}
            sys.stdout.write(
                json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error}) + "\n"
            )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
