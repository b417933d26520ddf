"""The sandbox worker process: `python -m runtime._sandbox_worker IN_FD OUT_FD MEMORY [MODULE…]`.

Reads (function, args) jobs from IN_FD and writes ("ok", result) or ("error", exception) to
OUT_FD, one at a time, in multiprocessing's framing. It imports only what its jobs need (the
MODULEs are imported up front, so the first job is fast) and caps its own address space.
"""

from __future__ import annotations

import importlib
import pickle
import resource
import sys
from multiprocessing.connection import Connection
from typing import Any

from runtime.errors import SandboxError


def portable(exc: BaseException) -> BaseException:
    """`exc` if it survives pickling, else a SandboxError naming it."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301  (our own bytes, made just above)
    except Exception:
        return SandboxError(f"{type(exc).__name__}: {exc}")
    return exc


def serve(incoming: Connection, outgoing: Connection) -> None:
    """Run jobs until the parent closes the pipe; stop after a MemoryError."""
    while True:
        try:
            fn, args = incoming.recv()
        except EOFError:
            return
        try:
            reply: tuple[str, Any] = ("ok", fn(*args))
        except Exception as exc:  # the job's failure travels back to the caller
            reply = ("error", portable(exc))
        try:
            outgoing.send(reply)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            outgoing.send(("error", SandboxError(f"the job's result cannot be sent back: {exc}")))
        if reply[0] == "error" and isinstance(reply[1], MemoryError):
            return  # the heap may be in any state: a fresh worker takes over


def main(argv: list[str]) -> None:
    """Set the memory cap, import the preloaded modules and serve."""
    in_fd, out_fd, memory = int(argv[0]), int(argv[1]), int(argv[2])
    for module in argv[3:]:
        importlib.import_module(module)
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    serve(Connection(in_fd, writable=False), Connection(out_fd, readable=False))


if __name__ == "__main__":
    main(sys.argv[1:])
