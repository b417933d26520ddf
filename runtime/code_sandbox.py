"""Runs a code node's Python in a fresh, locked-down child process: one process per call.

Safety comes before speed here: a warm worker that ran one user's code could keep a thread, a
monkey-patched module or a file for the next run, so every call starts a fresh interpreter
(`python -I -S -B runtime/_code_child.py`: isolated mode, the standard library only)
with an empty environment (nothing of the server's: no secrets, no DATABASE_URL) in a temporary
working directory that is deleted afterwards, in its own session so that everything it is
killed together. The child shuts its own doors before the code runs (runtime/_code_child.py);
this side bounds what it may take from the server: wall time (then the process group is
killed), and the bytes it may answer with (more, and it is killed too).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import signal
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.errors import (
    CodeError,
    CodeForbiddenError,
    CodeMemoryError,
    CodeOutputError,
    CodeTimeoutError,
)

log = logging.getLogger(__name__)

CHILD = Path(__file__).with_name("_code_child.py")
ENVELOPE_BYTES = 64 * 1024  # the reply's own keys, an error message and a traceback
_READ = 64 * 1024


@dataclass(frozen=True, slots=True)
class CodeLimits:
    """What one call may use: wall seconds (CPU seconds too), address space, outputs, files."""

    timeout_s: float = 10.0
    memory_bytes: int = 256 * 1024 * 1024
    max_output_bytes: int = 1024 * 1024
    file_bytes: int = 16 * 1024 * 1024  # the largest file it may write in its directory


def _request(code: str, inputs: Mapping[str, Any], limits: CodeLimits) -> bytes:
    """The child's request as JSON; an input that JSON cannot hold is a CodeError naming it."""
    for name, value in inputs.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            what = type(value).__name__
            raise CodeError(f"input {name!r} is a {what}, which code cannot be given") from None
    request = {
        "code": code,
        "inputs": dict(inputs),
        "memory": limits.memory_bytes,
        "cpu_s": max(1, math.ceil(limits.timeout_s)),
        "file_bytes": limits.file_bytes,
    }
    return json.dumps(request, ensure_ascii=False).encode()


async def _exchange(proc: asyncio.subprocess.Process, request: bytes, most: int) -> bytes:
    """Send the request, then read the reply; CodeOutputError as soon as it passes `most`."""
    if proc.stdin is None or proc.stdout is None:  # never: both are PIPE
        raise CodeError("the code's process was started without its pipes")
    try:
        proc.stdin.write(request)
        await proc.stdin.drain()
        proc.stdin.close()
    except (BrokenPipeError, ConnectionResetError):
        pass  # it died before reading: its exit status says why
    chunks: list[bytes] = []
    size = 0
    while chunk := await proc.stdout.read(_READ):
        size += len(chunk)
        if size > most:
            raise CodeOutputError(f"the outputs are larger than {most - ENVELOPE_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _kill(proc: asyncio.subprocess.Process) -> None:
    """Kill the child's whole session (it may not fork, but if it did, none outlives it)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _failure(reply: Mapping[str, Any]) -> CodeError:
    """The typed error a child's error reply stands for."""
    kind, message = reply.get("error"), str(reply.get("message", "the code failed"))
    trace = str(reply.get("traceback") or "")
    if kind == "memory":
        return CodeMemoryError(message)
    if kind == "forbidden":
        return CodeForbiddenError(message, trace)
    if kind == "output":
        return CodeOutputError(message, str(reply.get("output") or ""))
    return CodeError(message, trace)


def _answer(data: bytes, returncode: int, limits: CodeLimits) -> dict[str, Any]:
    """The outputs in the child's reply, or the typed error it (or its exit status) stands for."""
    if not data:
        if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            raise CodeTimeoutError(f"the code used more than {limits.timeout_s:g} s of CPU time")
        raise CodeError(f"the code's process ended without an answer (exit status {returncode})")
    try:
        reply = json.loads(data)
    except ValueError:
        raise CodeError("the code's process sent an answer that cannot be read") from None
    if not isinstance(reply, dict):
        raise CodeError("the code's process sent an answer that cannot be read")
    if not reply.get("isolated"):
        log.debug("code ran without a network namespace: the audit hook alone refuses sockets")
    if "ok" not in reply:
        raise _failure(reply)
    outputs = reply["ok"]
    size = len(json.dumps(outputs, ensure_ascii=False).encode())
    if size > limits.max_output_bytes:
        raise CodeOutputError(f"the outputs are larger than {limits.max_output_bytes} bytes")
    return dict(outputs)


class ProcessCodeRunner:
    """The code runner of a server: each call in a fresh child process (runtime.resources'
    CodeRunner)."""

    async def run(self, code: str, inputs: Mapping[str, Any], limits: CodeLimits) -> dict[str, Any]:
        """Run `main(**inputs)` of `code` within `limits`; its returned dict, or a CodeError."""
        request = _request(code, inputs, limits)
        with tempfile.TemporaryDirectory(prefix="weft-code-", ignore_cleanup_errors=True) as cwd:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-I",
                "-S",
                "-B",
                str(CHILD),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                cwd=cwd,
                env={},
                start_new_session=True,
            )
            try:
                async with asyncio.timeout(limits.timeout_s):
                    data = await _exchange(proc, request, limits.max_output_bytes + ENVELOPE_BYTES)
                    returncode = await proc.wait()
            except TimeoutError:
                message = f"the code ran longer than {limits.timeout_s:g} s and was stopped"
                raise CodeTimeoutError(message) from None
            finally:
                if proc.returncode is None:
                    _kill(proc)
                    await proc.wait()
        return _answer(data, returncode, limits)
