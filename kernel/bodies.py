"""Request bodies under the data limits, at the ASGI level, before anything reads them.

A declared Content-Length over the limit is refused at once, without reading a byte. A body that
passes the limit while it arrives (chunked, or longer than it said) is refused as soon as it does,
and one that stalls longer than WEFT_BODY_IDLE_TIMEOUT_S between chunks is dropped. Both ASGI
entry points use `BodyGuard`: the lean /v1 handler and `LimitedBodies` in front of Django.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from kernel.limits import limits

Scope = dict[str, Any]
Message = dict[str, Any]


class BodyRefusedError(Exception):
    """A request body refused under the limits: 413 with the limit, or 408 when it stalled."""

    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"code": code, "message": message, "status": status, **data}


def _too_large(limit: int) -> BodyRefusedError:
    return BodyRefusedError(
        413,
        "request_too_large",
        f"the request body is larger than the limit of {limit} bytes",
        limit=limit,
    )


def declared_length(scope: Scope) -> int | None:
    """The Content-Length a request declares (None when it has none or it is not a number)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def upload_or_body_limit(scope: Scope) -> int:
    """The limit for a request: the upload limit for multipart forms, the body limit otherwise."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type" and value.lower().startswith(b"multipart/form-data"):
            return limits().max_upload_bytes
    return limits().max_body_bytes


class BodyGuard:
    """Wraps an ASGI `receive` so the body stops at `limit` bytes and at the idle timeout.

    Past either, `receive` answers `http.disconnect` (Django's body reader then gives up as it
    would for a client that left) and `refusal` says why, for the caller to send.
    """

    def __init__(self, scope: Scope, receive: Any, limit: int) -> None:
        self._receive = receive
        self.limit = limit
        self.idle_s = limits().body_idle_timeout_s
        self.received = 0
        self.complete = False
        self.refusal: BodyRefusedError | None = None
        declared = declared_length(scope)
        if declared is not None and declared > limit:
            self.refusal = _too_large(limit)

    async def receive(self) -> Message:
        """The next ASGI message, or a disconnect once the body breaks a limit."""
        if self.refusal is not None:
            return {"type": "http.disconnect"}
        if self.complete:  # after the body: only the disconnect Django listens for
            message: Message = await self._receive()
            return message
        try:
            async with asyncio.timeout(self.idle_s):  # no task per call, unlike wait_for
                message = await self._receive()
        except TimeoutError:
            self.refusal = BodyRefusedError(
                408,
                "request_timeout",
                f"the request body stalled for more than {self.idle_s:g} s",
                limit=self.idle_s,
            )
            return {"type": "http.disconnect"}
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.refusal = _too_large(self.limit)
                return {"type": "http.disconnect"}
            self.complete = not message.get("more_body", False)
        return message


async def send_refusal(send: Any, refusal: BodyRefusedError) -> None:
    """Send a refusal as a JSON response that closes the connection (the rest goes unread)."""
    content = json.dumps(refusal.body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


class LimitedBodies:
    """ASGI middleware for Django: bodies over the upload or body limit get 413 before Django
    reads them, and a stalled body 408."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Pass the request on with a guarded `receive`; send the refusal if one came up."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        guard = BodyGuard(scope, receive, upload_or_body_limit(scope))
        if guard.refusal is not None:
            await send_refusal(send, guard.refusal)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        await self.app(scope, guard.receive, tracked_send)
        if guard.refusal is not None and not started:
            await send_refusal(send, guard.refusal)
