"""The code node's child process: runs one user's `main(**inputs)` and exits.

Started by `runtime.code_sandbox` as `python -I -S -B runtime/_code_child.py`, a fresh
interpreter that sees only the standard library, with an empty environment and a temporary
directory as its working directory. It imports nothing from Weft, so it starts in milliseconds.

It reads one request (JSON: code, inputs, limits) from stdin, then, before the user's code runs:
leaves the network (a new user and network namespace, where the kernel allows it), caps its own
address space, CPU time, processes, open files and file sizes, points stdin/stdout/stderr at
/dev/null, and installs an audit hook that refuses sockets, new processes, signals to others,
native code (ctypes), raising its limits, walking the heap, and files outside the standard
library and its working directory. It writes one JSON reply on the descriptor that was stdout:
{"ok": outputs} or {"error": kind, "message": ..., "traceback": ..., "output": name}.
See runtime/README.md ("Code node") for what each layer holds against, and what it does not.
"""

import json
import linecache
import os
import resource
import sys
import traceback

FILENAME = "<code>"
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000

# Audit events refused outright (exact names), and by prefix.
DENIED = frozenset(
    {
        "os.fork",
        "os.forkpty",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.system",
        "os.kill",
        "os.killpg",
        "signal.pthread_kill",
        "resource.setrlimit",
        "resource.prlimit",
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
        "code.__new__",
        "sys.addaudithook",
        "sys.setprofile",
        "sys.settrace",
    }
)
DENIED_PREFIXES = ("socket.", "ctypes.", "_posixsubprocess.", "subprocess.", "winreg.")
# Modules that reach past the guard: native calls, raw process creation (no audit event),
# interpreters without this hook, and CPython's memory-poking test modules.
DENIED_MODULES = ("ctypes", "_ctypes", "_posixsubprocess", "_xxsubinterpreters", "_test")
# Events whose first (and for renames and links, second) argument is a path that is written.
WRITES = frozenset(
    {
        "os.remove",
        "os.rename",
        "os.rmdir",
        "os.mkdir",
        "os.chmod",
        "os.chown",
        "os.link",
        "os.symlink",
        "os.truncate",
        "os.utime",
        "shutil.rmtree",
        "shutil.copyfile",
        "shutil.copymode",
        "shutil.copystat",
        "shutil.copytree",
        "shutil.move",
    }
)
LISTS = frozenset({"os.listdir", "os.scandir"})
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


class CodeForbidden(PermissionError):
    """An operation the code node does not allow (raised by the audit hook)."""


def leave_network() -> bool:
    """Move into new user and network namespaces (only a down loopback): True where allowed."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        done = bool(libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0)
    except (OSError, AttributeError):
        done = False
    for name in [m for m in sys.modules if m == "ctypes" or m.startswith(("ctypes.", "_ctypes"))]:
        del sys.modules[name]  # the code must import it afresh, which the guard refuses
    return done


def set_limits(memory: int, cpu_s: int, files: int) -> None:
    """Cap this process's address space, CPU seconds, children, open files and file sizes."""
    caps = {
        resource.RLIMIT_AS: (memory, memory),
        resource.RLIMIT_CPU: (cpu_s, cpu_s + 1),  # SIGXCPU ends it first, SIGKILL a second later
        resource.RLIMIT_NPROC: (0, 0),
        resource.RLIMIT_NOFILE: (64, 64),
        resource.RLIMIT_FSIZE: (files, files),
        resource.RLIMIT_CORE: (0, 0),
    }
    for which, pair in caps.items():
        resource.setrlimit(which, pair)


def silence() -> int:
    """Point fds 0-2 at /dev/null (the code's prints go nowhere); the reply's fd, returned."""
    reply = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    return reply


def _inside(path: object, roots: tuple[str, ...]) -> bool:
    if isinstance(path, int):
        return True  # an open descriptor: only ones this process was allowed to open
    try:
        real = os.path.realpath(os.fsdecode(path))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return any(real == root or real.startswith(root + os.sep) for root in roots)


def _writes(args: tuple[object, ...]) -> bool:
    mode = args[1] if len(args) > 1 else None
    flags = args[2] if len(args) > 2 else 0
    if isinstance(flags, int) and flags & WRITE_FLAGS:
        return True
    return isinstance(mode, str) and any(c in mode for c in "wax+")


def install_guard(workdir: str) -> None:
    """Refuse, from now on, what the code may not do (the hook is unreachable from Python)."""
    stdlib = os.path.realpath(os.path.dirname(os.__file__))
    readable = (stdlib, workdir, os.devnull, "/usr/share/zoneinfo")
    writable = (workdir, os.devnull)

    def refuse(event: str, what: object) -> None:
        raise CodeForbidden(f"the code node does not allow {event} ({what})")

    def hook(event: str, args: tuple[object, ...]) -> None:
        if event in DENIED or event.startswith(DENIED_PREFIXES):
            refuse(event, "no network, processes, signals or native code")
        elif event == "import" and str(args[0]).startswith(DENIED_MODULES):
            refuse(event, f"module {args[0]}")
        elif event == "open" and args:
            roots = writable if _writes(args) else readable
            if not _inside(args[0], roots):
                refuse(event, f"{args[0]!r} is outside the working directory")
        elif event in WRITES and not all(_inside(a, writable) for a in args[:2] if _pathish(a)):
            refuse(event, "only files in the working directory may change")
        elif event in LISTS and args and args[0] is not None and not _inside(args[0], readable):
            refuse(event, f"{args[0]!r} is outside the working directory")

    sys.addaudithook(hook)


def _pathish(value: object) -> bool:
    return isinstance(value, str | bytes | os.PathLike)


def trimmed_traceback(exc: BaseException) -> str:
    """The exception's traceback, keeping only the frames of the user's code."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == FILENAME]
    lines = traceback.format_list(frames)
    return "".join(["Traceback (most recent call last):\n", *lines]) + "".join(
        traceback.format_exception_only(type(exc), exc)
    )


def run_main(code: str, inputs: dict[str, object]) -> dict[str, object]:
    """Run the code, call its main(**inputs) and say how it went, as the reply."""
    linecache.cache[FILENAME] = (len(code), None, code.splitlines(True), FILENAME)
    try:
        namespace: dict[str, object] = {"__name__": "__main__", "__builtins__": __builtins__}
        exec(compile(code, FILENAME, "exec"), namespace)  # noqa: S102  (the point of the node)
        main = namespace.get("main")
        if not callable(main):
            return {"error": "error", "message": "the code does not define a function main"}
        result = main(**inputs)
    except MemoryError:
        return {"error": "memory", "message": "the code ran out of memory"}
    except CodeForbidden as exc:
        return {"error": "forbidden", "message": str(exc), "traceback": trimmed_traceback(exc)}
    except BaseException as exc:  # the user's own failure, SystemExit included
        return {"error": "error", "message": _said(exc), "traceback": trimmed_traceback(exc)}
    if not isinstance(result, dict):
        kind = type(result).__name__
        return {"error": "output", "message": f"main must return a dict, not {kind}"}
    return {"ok": result}


def _said(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def encode(reply: dict[str, object]) -> bytes:
    """The reply as JSON; an output that JSON cannot hold is an output error naming it."""
    try:
        return json.dumps(reply, ensure_ascii=False, allow_nan=False).encode()
    except MemoryError:
        return b'{"error": "memory", "message": "the outputs did not fit in memory"}'
    except (TypeError, ValueError, RecursionError):
        pass
    result = reply.get("ok")
    for name, value in result.items() if isinstance(result, dict) else ():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            what = type(value).__name__
            message = f"output {name!r} is a {what}, which is not a JSON value"
            return json.dumps({"error": "output", "message": message, "output": str(name)}).encode()
    return b'{"error": "output", "message": "the outputs are not JSON values"}'


def send(fd: int, data: bytes) -> None:
    """Write all of `data` to `fd`."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def main() -> None:
    """Read the request, shut the doors, run the code and send the reply."""
    request = json.loads(sys.stdin.buffer.read())
    isolated = leave_network()
    set_limits(request["memory"], request["cpu_s"], request["file_bytes"])
    reply_fd = silence()
    install_guard(os.path.realpath(os.getcwd()))
    reply = run_main(request["code"], request["inputs"])
    reply["isolated"] = isolated
    send(reply_fd, encode(reply))
    os._exit(0)  # now: a thread the code started must not keep the process (and the reply) open


if __name__ == "__main__":
    main()
