"""A small real web site for HTTP request node tests (served with tests.llm._http.serve)."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs


class Site:
    """Raw ASGI: /echo answers the request back as JSON, /redirect sends to ?to=, /status/N
    answers N, /big streams `big` bytes in 64 KiB pieces without a length, /slow answers late."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.big = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path, query = scope["path"], scope["query_string"].decode()
        seen = {
            "method": scope["method"],
            "path": path,
            "query": query,
            "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
            "body": body.decode(),
        }
        self.seen.append(seen)
        if path == "/redirect":
            await _answer(send, 302, b"", [(b"location", parse_qs(query)["to"][0].encode())])
        elif path.startswith("/status/"):
            await _answer(send, int(path.rsplit("/", 1)[1]), b"nope", [(b"x-why", b"test")])
        elif path == "/big":
            await self._stream(send)
        elif path == "/slow":
            await asyncio.sleep(3)
            await _answer(send, 200, b"late")
        else:
            await _answer(
                send, 200, json.dumps(seen).encode(), [(b"content-type", b"application/json")]
            )

    async def _stream(self, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        piece = b"x" * 65536
        for _ in range(self.big // len(piece)):
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


async def _answer(send: Any, status: int, body: bytes, headers: list[Any] | None = None) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers or []})
    await send({"type": "http.response.body", "body": body})
