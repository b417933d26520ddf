"""The stdio transport: the server as a child process, one JSON-RPC message per line.

Ours rather than the SDK's `stdio_client`, for two reasons. The child gets exactly the
environment it is configured with (the SDK adds HOME, USER, SHELL…). And a line is bounded:
the SDK joins a long line chunk by chunk, in time quadratic in its length, and holds all of
it, so one 50 MB result would pin the worker's CPU and memory. Here a line over the limit is
dropped as it streams in, and the call it answers gets an error response instead (its id read
from the line's start), so the session lives on. Stopping follows MCP's order: close stdin,
wait, then end the process group.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import IO

import anyio
import mcp_types as types
from anyio.abc import (
    ByteReceiveStream,
    ByteSendStream,
    ObjectReceiveStream,
    ObjectSendStream,
    Process,
)
from mcp.client._transport import TransportStreams
from mcp.os.posix.utilities import terminate_posix_process_tree
from mcp.shared.message import SessionMessage

from runtime.errors import McpUnavailableError

RESULT_TOO_LARGE = -32090  # our error code for a message dropped for its size
EXIT_GRACE_S = 2.0  # for the server to exit once its stdin is closed (then SIGTERM, SIGKILL)
# A response's id, where JSON-RPC peers put it (first, or after "jsonrpc"), before its result.
_ID = re.compile(
    rb'^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")\s*,'
    rb'\s*"(?:result|error)"'
)
_HEAD = 512  # bytes of a dropped line kept to find its id


class MessageTooLargeError(Exception):
    """The server sent a message over the limit that answers no call we could name."""

    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(f"a message of {size:,} bytes or more, over the limit of {limit:,}")


@asynccontextmanager
async def stdio_transport(
    argv: list[str],
    env: dict[str, str],
    cwd: str | None,
    errlog: IO[str],
    max_line: int,
    on_fault: Callable[[Exception | None], None],
) -> AsyncIterator[TransportStreams]:
    """Start `argv` with exactly `env` in a session (process group) of its own, and talk to
    it over its stdin and stdout; its stderr goes to `errlog`. `on_fault(None)` is called when
    its stdout ends (it exited), `on_fault(exc)` for a line that is not JSON-RPC, at once,
    so calls in flight need not wait out their timeouts."""
    try:
        process = await anyio.open_process(
            argv, env=env, cwd=cwd, stderr=errlog, start_new_session=True
        )
    except OSError as exc:
        raise McpUnavailableError(f"could not start {argv[0]!r}: {exc}") from exc
    stdin, stdout = process.stdin, process.stdout
    if stdin is None or stdout is None:  # pragma: no cover - open_process always pipes them
        raise McpUnavailableError(f"{argv[0]!r} started without pipes")
    to_session, from_server = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    to_server, outgoing = anyio.create_memory_object_stream[SessionMessage](0)
    async with anyio.create_task_group() as tg:
        tg.start_soon(_read, stdout, to_session, max_line, on_fault)
        tg.start_soon(_write, stdin, outgoing)
        try:
            yield from_server, to_server
        finally:
            with anyio.CancelScope(shield=True):
                await _stop(process, stdin)
                for stream in (from_server, to_server, to_session, outgoing):
                    await stream.aclose()
            tg.cancel_scope.cancel()


async def _read(
    stdout: ByteReceiveStream,
    out: ObjectSendStream[SessionMessage | Exception],
    max_line: int,
    on_fault: Callable[[Exception | None], None],
) -> None:
    lines = _Lines(max_line)
    with suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
        async with out:
            async for chunk in stdout:
                for item in lines.feed(chunk):
                    if isinstance(item, Exception):
                        on_fault(item)
                    await out.send(item)
    on_fault(None)


async def _write(stdin: ByteSendStream, messages: ObjectReceiveStream[SessionMessage]) -> None:
    with suppress(anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
        async with messages:
            async for message in messages:
                body = message.message  # as bytes: model_dump_json would decode them to text
                data = body.__pydantic_serializer__.to_json(body, by_alias=True, exclude_unset=True)
                await stdin.send(data + b"\n")
    # a server that stopped reading has exited or will: the reader sees its stdout end


async def _stop(process: Process, stdin: ByteSendStream) -> None:
    with suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
        await stdin.aclose()
    with anyio.move_on_after(EXIT_GRACE_S):
        # polled: process.wait() would also wait for pipes a grandchild may hold open
        while process.returncode is None:
            await anyio.sleep(0.01)
    if process.returncode is None:
        await terminate_posix_process_tree(process, EXIT_GRACE_S)
        with anyio.move_on_after(EXIT_GRACE_S):
            await process.wait()


class _Lines:
    """Splits the server's stdout into messages, dropping lines over the limit as they come.

    A line that arrives whole in one chunk (the usual answer) is parsed straight from the
    chunk; only a line split across chunks is gathered in the buffer, which is parsed as it is
    and then emptied, so a message is copied at most once on its way in."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.buffer = bytearray()
        self.dropped: int | None = None  # bytes of the line being dropped
        self.head = b""

    def feed(self, chunk: bytes) -> list[SessionMessage | Exception]:
        """The messages the lines completed by `chunk` hold."""
        items: list[SessionMessage | Exception] = []
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                self._gather(chunk, start, len(chunk))
                return items
            if self.buffer or self.dropped is not None or end - start > self.limit:
                self._gather(chunk, start, end)
                item = self._line_done()
            else:
                item = _parsed(chunk[start:end])
            if item is not None:
                items.append(item)
            start = end + 1

    def _gather(self, chunk: bytes, start: int, end: int) -> None:
        """Add `chunk[start:end]` to the line being read (or count it, if it is dropped)."""
        if self.dropped is not None:
            self.dropped += end - start
            return
        self.buffer += chunk[start:end]
        if len(self.buffer) > self.limit:
            self.head, self.dropped = bytes(self.buffer[:_HEAD]), len(self.buffer)
            self.buffer.clear()

    def _line_done(self) -> SessionMessage | Exception | None:
        if self.dropped is not None:
            item: SessionMessage | Exception = _too_large(self.head, self.dropped, self.limit)
            self.dropped = None
            return item
        parsed = _parsed(self.buffer)
        self.buffer.clear()
        return parsed


def _parsed(line: bytes | bytearray) -> SessionMessage | Exception | None:
    """The message a line holds, the error that says it is not one, or None for a blank line."""
    if line[:1].isspace() or line[-1:].isspace():  # only then: strip() copies a bytearray
        line = line.strip()
    if not line:
        return None
    try:
        return SessionMessage(types.jsonrpc_message_adapter.validate_json(line, by_name=False))
    except ValueError as exc:
        return exc


def _too_large(head: bytes, size: int, limit: int) -> SessionMessage | Exception:
    """An error response to the call a dropped line answered, or an error when no id shows."""
    found = _ID.match(head)
    if found is None:
        return MessageTooLargeError(size, limit)
    raw = json.loads(found.group(1))
    error = types.ErrorData(
        code=RESULT_TOO_LARGE,
        message=f"the server's answer of {size:,} bytes or more is over the limit of {limit:,}",
        data={"size": size, "limit": limit},
    )
    return SessionMessage(types.JSONRPCError(jsonrpc="2.0", id=raw, error=error))
