"""The code node: main(**inputs) in a fresh, locked-down process, each way out a typed error."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.code_sandbox import CodeLimits, ProcessCodeRunner
from runtime.compile import compile_workflow, validate
from runtime.engine import Engine, RunContext
from runtime.errors import CodeForbiddenError, CodeTimeoutError
from runtime.limits import RunLimits
from runtime.resources import CODE_SANDBOX, Resources
from runtime.spec import WorkflowSpec
from tests.runtime.helpers import build, by_kind, edge, node, node_ids, start

END = node("end", "end", outputs=[{"variable": "out", "value_selector": ["c", "result"]}])
LIMITS = RunLimits(max_code_s=5.0, max_code_memory_bytes=256 * 1024 * 1024)


def code_node(code: str, outputs: dict[str, str] | None = None, **settings: Any) -> dict[str, Any]:
    """A code node `c` with input `x` from the start node."""
    return node(
        "c",
        "code",
        variables=[{"variable": "x", "value_selector": ["s", "x"]}],
        code=code,
        outputs=[{"variable": k, "type": t} for k, t in (outputs or {"result": "string"}).items()],
        settings=settings,
    )


async def run_code(
    code: str, outputs: dict[str, str] | None = None, x: str = "hi", limits: RunLimits = LIMITS
) -> list[Any]:
    """start(x) → code → end(out = c.result); every event of the run."""
    graph = build([start("x"), code_node(code, outputs), END], [edge("s", "c"), edge("c", "end")])
    ctx = RunContext(
        run_id="r",
        inputs={"x": x},
        resources=Resources().add(CODE_SANDBOX, ProcessCodeRunner()),
        limits=limits,
    )
    return [ev async for ev in Engine(graph).run(ctx)]


def failure(events: list[Any]) -> Any:
    """The code node's NodeFailed event."""
    (failed,) = by_kind(events, "node_failed")
    assert failed.node_id == "c"
    return failed


async def test_code_node_runs_main_with_its_inputs() -> None:
    code = "import json\ndef main(x):\n    return {'result': json.dumps({'x': x.upper()})}\n"
    events = await run_code(code)
    assert events[-1].status == "succeeded"
    assert events[-1].outputs == {"out": '{"x": "HI"}'}


async def test_code_node_memory_past_its_limit_is_a_memory_error() -> None:
    code = "def main(x):\n    block = bytearray(10 * 1024 ** 3)\n    return {'result': 'kept'}\n"
    failed = failure(await run_code(code))
    assert failed.error_code == "CodeMemoryError"


async def test_code_node_fork_is_forbidden() -> None:
    code = "import os\ndef main(x):\n    os.fork()\n    return {'result': 'forked'}\n"
    failed = failure(await run_code(code))
    assert failed.error_code == "CodeForbiddenError"
    assert "os.fork" in failed.error


async def test_code_node_subprocess_is_forbidden() -> None:
    code = "def main(x):\n    import subprocess\n    return {'result': 'x'}\n"
    assert failure(await run_code(code)).error_code == "CodeForbiddenError"


async def test_code_node_cannot_connect_and_the_listener_sees_nothing() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    code = (
        "import socket\n"
        "def main(x):\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
        "    return {'result': 'connected'}\n"
    )
    try:
        failed = failure(await run_code(code))
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()
    assert failed.error_code == "CodeForbiddenError"


async def test_code_node_low_level_socket_is_forbidden() -> None:
    code = "import _socket\ndef main(x):\n    _socket.socket()\n    return {'result': 'x'}\n"
    assert failure(await run_code(code)).error_code == "CodeForbiddenError"


def _code_children() -> Iterator[int]:
    """Pids of this process's children that run the code node's child script."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and b"_code_child.py" in cmdline:
            yield int(entry.name)


async def test_code_node_that_never_ends_times_out_and_its_process_is_gone() -> None:
    limits = RunLimits(max_code_s=1.0)
    task = asyncio.ensure_future(
        run_code("def main(x):\n    while True:\n        pass\n", limits=limits)
    )
    pids: list[int] = []
    while not pids and not task.done():
        await asyncio.sleep(0.02)
        pids = list(_code_children())
    failed = failure(await task)
    assert failed.error_code == "CodeTimeoutError"
    assert pids
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)  # killed and reaped


async def test_code_node_sees_nothing_of_the_servers_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEFT_FAKE_SECRET", "s3cret-value")
    code = "import os\ndef main(x):\n    return {'result': dict(os.environ)}\n"
    events = await run_code(code, {"result": "object"})
    seen = events[-1].outputs["out"]
    assert "WEFT_FAKE_SECRET" not in seen
    assert "s3cret-value" not in str(seen)
    assert set(seen) <= {"LC_CTYPE"}  # Python sets this one itself in an empty environment


async def test_code_node_reads_no_file_outside_its_directory() -> None:
    code = "def main(x):\n    return {'result': open('/etc/hostname').read()}\n"
    assert failure(await run_code(code)).error_code == "CodeForbiddenError"
    code = (
        "def main(x):\n"
        "    open('notes.txt', 'w').write(x)\n"
        "    return {'result': open('notes.txt').read()}\n"
    )
    assert (await run_code(code))[-1].outputs == {"out": "hi"}


async def test_code_node_huge_output_is_an_output_error() -> None:
    code = "def main(x):\n    return {'result': 'y' * (2 * 1024 * 1024)}\n"
    failed = failure(await run_code(code))
    assert failed.error_code == "CodeOutputError"
    assert "larger than" in failed.error


async def test_code_node_output_of_another_type_names_the_output() -> None:
    code = "def main(x):\n    return {'result': 'a', 'count': 'three'}\n"
    failed = failure(await run_code(code, {"result": "string", "count": "number"}))
    assert failed.error_code == "CodeOutputError"
    assert "'count' must be number" in failed.error


async def test_code_node_missing_output_names_it() -> None:
    failed = failure(await run_code("def main(x):\n    return {}\n"))
    assert (failed.error_code, "'result'" in failed.error) == ("CodeOutputError", True)


async def test_code_node_error_shows_the_users_traceback_only() -> None:
    code = (
        "def helper(x):\n    raise ValueError(f'bad {x}')\n\ndef main(x):\n    return helper(x)\n"
    )
    failed = failure(await run_code(code))
    assert failed.error_code == "CodeError"
    assert 'File "<code>", line 5, in main' in failed.error
    assert 'File "<code>", line 2, in helper' in failed.error
    assert failed.error.endswith("ValueError: bad hi")
    assert "_code_child" not in failed.error


async def test_code_node_failure_with_default_value_lets_a_parallel_branch_finish() -> None:
    crash = code_node(
        "def main(x):\n    return {'result': bytearray(10 * 1024 ** 3)}\n",
        error_strategy="default_value",
        default_outputs={"result": "fallback"},
    )
    end = node(
        "end",
        "end",
        outputs=[
            {"variable": "code", "value_selector": ["c", "result"]},
            {"variable": "other", "value_selector": ["b", "value"]},
        ],
    )
    graph = build(
        [start("x"), crash, node("b", "sleep", delay=0.05, value="branch"), end],
        [edge("s", "c"), edge("s", "b"), edge("c", "end"), edge("b", "end")],
    )
    ctx = RunContext(
        run_id="r",
        inputs={"x": "hi"},
        resources=Resources().add(CODE_SANDBOX, ProcessCodeRunner()),
        limits=LIMITS,
    )
    events: list[Any] = [ev async for ev in Engine(graph).run(ctx)]
    (done,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == "c"]
    assert done.error_code == "CodeMemoryError"
    assert "b" in node_ids(events, "node_succeeded")
    assert events[-1].status == "succeeded"
    assert events[-1].outputs == {"code": "fallback", "other": "branch"}


async def test_code_runner_stops_at_once_when_cancelled() -> None:
    runner = ProcessCodeRunner()
    task = asyncio.ensure_future(
        runner.run("import time\ndef main():\n    time.sleep(60)\n", {}, CodeLimits(timeout_s=60))
    )
    pids: list[int] = []
    while not pids:
        await asyncio.sleep(0.02)
        pids = list(_code_children())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)


async def test_code_runner_limits_cpu_time_too() -> None:
    with pytest.raises(CodeTimeoutError):
        await ProcessCodeRunner().run(
            "def main():\n    while True:\n        pass\n", {}, CodeLimits(timeout_s=1.0)
        )


async def test_code_runner_refuses_native_code_and_signals() -> None:
    runner, limits = ProcessCodeRunner(), CodeLimits(timeout_s=5)
    for code in (
        "def main():\n    import ctypes\n",
        "import os\ndef main():\n    os.kill(os.getppid(), 0)\n",
        "import resource\ndef main():\n    resource.setrlimit(resource.RLIMIT_AS, (-1, -1))\n",
        "import gc\ndef main():\n    gc.get_objects()\n",
    ):
        with pytest.raises(CodeForbiddenError):
            await runner.run(code, {}, limits)


def _spec(code: str, outputs: list[dict[str, str]] | None = None) -> WorkflowSpec:
    config: dict[str, Any] = {"variables": [], "code": code}
    if outputs is not None:
        config["outputs"] = outputs
    nodes = [start(), {"id": "c", "type": "code", "config": config}, END]
    return WorkflowSpec.model_validate(
        {"mode": "workflow", "nodes": nodes, "edges": [edge("s", "c"), edge("c", "end")]}
    )


def test_code_node_config_needs_a_main_and_distinct_names() -> None:
    found = [(i.code, i.field, i.message) for i in validate(_spec("x = 1\n"))]
    assert found == [
        (
            "bad_config",
            "code",
            "Code: define a function main(...) at the top level that returns a dict",
        )
    ]
    (issue,) = validate(_spec("def main(:\n"))
    assert (issue.field, issue.message.startswith("Code: line 1:")) == ("code", True)
    twice = [{"variable": "result", "type": "string"}] * 2
    (issue,) = validate(_spec("def main():\n    return {}\n", twice))
    assert issue.field == "outputs"
    assert "'result' is listed twice" in issue.message


def test_code_node_without_the_sandbox_is_an_issue_that_says_why() -> None:
    spec = _spec("def main():\n    return {'result': 'a'}\n")
    (issue,) = validate(spec, offered=())
    assert (issue.code, issue.node_id) == ("missing_resource", "c")
    assert "admin has not turned on code nodes" in issue.message
    assert validate(spec, offered=(CODE_SANDBOX,)) == []
    assert compile_workflow(spec, (CODE_SANDBOX,)).needs == frozenset({CODE_SANDBOX})


async def test_code_node_run_without_the_sandbox_fails_saying_why() -> None:
    graph = build(
        [start("x"), code_node("def main(x):\n    return {'result': x}\n"), END],
        [edge("s", "c"), edge("c", "end")],
    )
    events = [ev async for ev in Engine(graph).run(RunContext(run_id="r", inputs={"x": "a"}))]
    failed = failure(events)
    assert failed.error_code == "MissingResourceError"
    assert "admin has not turned on code nodes" in failed.error
