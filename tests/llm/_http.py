"""Test servers: uvicorn in a background thread, tiny raw ASGI apps that misbehave on purpose."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

App = Callable[..., Awaitable[None]]


@contextmanager
def serve(app: App) -> Iterator[str]:
    """Run `app` with uvicorn on a free 127.0.0.1 port; yield its base URL (with /v1)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


def free_port_url() -> str:
    """A base URL on which nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


class FixedApp:
    """Answers every request with the next scripted (status, body, content type); counts hits."""

    def __init__(self, *responses: tuple[int, bytes | str | dict[str, Any], str]) -> None:
        self.responses = list(responses)
        self.hits = 0
        self.delay_s = 0.0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Raw ASGI."""
        if scope["type"] != "http":
            return
        self.hits += 1
        status, body, content_type = self.responses[min(self.hits, len(self.responses)) - 1]
        if isinstance(body, dict):
            body = json.dumps(body)
        data = body.encode() if isinstance(body, str) else body
        await asyncio.sleep(self.delay_s)
        headers = [(b"content-type", content_type.encode())]
        if status == 429:
            headers.append((b"retry-after", b"0"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})


def sse(*events: dict[str, Any] | str) -> str:
    """An SSE body of `data:` lines ending with [DONE]."""
    lines = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events]
    return "".join(lines) + "data: [DONE]\n\n"
