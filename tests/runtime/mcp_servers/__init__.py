"""MCP servers for the tests: the real ones from PyPI (installed in the venv by
requirements-dev.txt, run by path so no PATH is assumed), and our own misbehaving ones."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runtime.mcp import HttpServer, StdioServer

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent


def installed(name: str, *args: str, **env: str) -> StdioServer:
    """A server installed in this venv (mcp-server-time …), run by its path."""
    return StdioServer(command=str(BIN / name), args=args, env=env)


def faulty(**env: str) -> StdioServer:
    """Our SDK server with good and bad tools, over stdio (STARTS_FILE counts its starts)."""
    return StdioServer(command=sys.executable, args=(str(HERE / "faulty.py"),), env=env)


def raw() -> StdioServer:
    """The hand-written server whose tool answers a line that is not JSON."""
    return StdioServer(command=sys.executable, args=(str(HERE / "raw.py"),))


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], within_s: float = 60.0) -> None:
    """Wait until something listens on 127.0.0.1:`port` (the server's start-up)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the test server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


@contextmanager
def http_server() -> Iterator[HttpServer]:
    """faulty.py over streamable HTTP in a child process, on a free port of 127.0.0.1."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(HERE / "faulty.py"), "--http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield HttpServer(url=f"http://127.0.0.1:{port}/mcp")
    finally:
        process.kill()
        process.wait()
