"""Finding 3: CPU-bound node work runs in sandbox worker processes, never on the event loop.

The template node's render is stopped at its timeout while the loop keeps serving other
coroutines (counted in ticks, not seconds), its output is bounded, and the pool replaces a
worker it had to kill.
"""

from __future__ import annotations

import asyncio
import operator
import os
import time
from collections.abc import Iterator

import pytest

from runtime._render import is_bounded, render
from runtime.compile import CompiledGraph
from runtime.errors import NodeTimeoutError, OutputTooLargeError
from runtime.limits import RunLimits
from runtime.nodes.template import TemplateConfig
from runtime.sandbox import Sandbox
from tests.runtime.helpers import build, by_kind, edge, node, run, start

NESTED = "{% for i in range(6000) %}{% for j in range(6000) %}{% endfor %}{% endfor %}done"


def _template_graph(source: str, **settings: float) -> CompiledGraph:
    return build(
        [
            start(),
            node("t", "template", template=source, settings=settings),
            node("e", "end", outputs=[{"variable": "out", "value_selector": ["t", "output"]}]),
        ],
        [edge("s", "t"), edge("t", "e")],
    )


async def _ticking(work: asyncio.Future[object] | asyncio.Task[object]) -> int:
    """Count 1 ms sleeps another coroutine completes while `work` runs."""
    ticks = 0
    while not work.done():
        await asyncio.sleep(0.001)
        ticks += 1
    return ticks


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A one-worker pool of its own."""
    pool = Sandbox(size=1)
    yield pool
    pool.close()


async def test_template_nested_range_times_out_while_the_loop_runs() -> None:
    graph = _template_graph(NESTED, timeout_s=0.5)
    work = asyncio.ensure_future(run(graph))
    ticks = await _ticking(work)
    events = await work
    (failed,) = by_kind(events, "node_failed")
    assert failed.error_code == "NodeTimeoutError"
    assert by_kind(events, "run_finished")[0].status == "failed"
    assert ticks >= 20  # the loop served the other coroutine while the render ran


async def test_template_render_limit_applies_without_a_node_timeout() -> None:
    events = await run(_template_graph(NESTED), limits=RunLimits(max_render_s=0.3))
    (failed,) = by_kind(events, "node_failed")
    assert failed.error_code == "NodeTimeoutError"


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'a' * 20000000 }}",
        "{{ 'a' * 10**10 }}",
        "{{ 2 ** 100000000 }}",
        "{% for i in range(100000) %}{{ 'x' * 20 }}{% endfor %}",
    ],
)
async def test_template_big_output_is_refused(source: str) -> None:
    events = await run(_template_graph(source))
    (failed,) = by_kind(events, "node_failed")
    assert failed.error_code == "OutputTooLargeError"
    assert "max_output_bytes" in failed.error


async def test_template_output_limit_is_the_smaller_of_config_and_run() -> None:
    spec = "{% for i in range(50) %}xx{% endfor %}"
    graph = build(
        [
            start(),
            node("t", "template", template=spec, max_output_bytes=99),
            node("e", "end", outputs=[{"variable": "out", "value_selector": ["t", "output"]}]),
        ],
        [edge("s", "t"), edge("t", "e")],
    )
    assert by_kind(await run(graph), "node_failed")[0].error_code == "OutputTooLargeError"
    limited = await run(_template_graph(spec), limits=RunLimits(max_output_bytes=99))
    assert by_kind(limited, "node_failed")[0].error_code == "OutputTooLargeError"
    fits = await run(_template_graph(spec), limits=RunLimits(max_output_bytes=100))
    assert by_kind(fits, "run_finished")[0].outputs == {"out": "xx" * 50}


async def test_template_normal_render_still_works() -> None:
    events = await run(_template_graph("{{ 6 * 7 }} {{ 'ab' * 3 }} {{ 2 ** 10 }}"))
    assert by_kind(events, "run_finished")[0].outputs == {"out": "42 ababab 1024"}


@pytest.mark.parametrize(
    ("source", "bounded"),
    [
        ("echo: {{ q }}", True),
        (
            "{% if a.b == 'x' and not c %}{{ d[0]|default('-')|upper }}"
            "{% else %}{{ e }}{% endif %}",
            True,
        ),
        ("{{ a|tojson }} {{ b|length }} {{ c[1:] }} {{ d if d is defined else '' }}", True),
        (NESTED, False),  # loops
        ("{{ range(3)|list }}", False),  # calls
        ("{{ 'a' * 3 }}", False),  # binary operators
        ("{{ a ~ a }}", False),  # concatenation builds the whole string before it is counted
        ("{{ a|center(100000000) }}", False),  # a filter whose argument sets the size
        ("{{ a|default(b) }}", False),  # only constant defaults
        ("{{ a|replace('x', b) }}", False),
        ("{% macro m() %}{% endmacro %}", False),
        ("{{ a " + "and a " * 200 + "}}", False),  # too many nodes to count on
        ("{{ unclosed", False),  # the worker reports the syntax error
    ],
)
def test_template_bounded_renders_are_told_apart(source: str, bounded: bool) -> None:
    assert is_bounded(source) is bounded


def test_template_bounded_render_keeps_the_output_limit() -> None:
    with pytest.raises(OutputTooLargeError):
        render("{{ a }}{{ a }}", {"a": "x" * 60}, 100)
    assert render("{{ a }}", {"a": "x" * 60}, 100) == "x" * 60


async def test_template_bounded_render_needs_no_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """A substitution renders in place (no worker round trip); a loop still goes to a worker."""

    def no_sandbox() -> Sandbox:
        raise AssertionError("a bounded template went to a sandbox worker")

    monkeypatch.setattr("runtime.nodes.template.get_sandbox", no_sandbox)
    events = await run(_template_graph("{{ 'hi'|upper }}{% if 1 %}!{% endif %}"))
    assert by_kind(events, "run_finished")[0].outputs == {"out": "HI!"}
    looped = await run(_template_graph("{% for i in [1] %}x{% endfor %}"))
    assert "bounded template went to a sandbox" in by_kind(looped, "node_failed")[0].error


def test_template_config_shows_the_output_limit() -> None:
    field = TemplateConfig.model_json_schema()["properties"]["max_output_bytes"]
    assert "WEFT_MAX_OUTPUT_BYTES" in field["description"]


async def test_sandbox_kills_a_timed_out_worker_and_replaces_it(sandbox: Sandbox) -> None:
    first = await sandbox.call(os.getpid, timeout_s=10)
    with pytest.raises(NodeTimeoutError):
        await sandbox.call(time.sleep, 30, timeout_s=0.2)
    second = await sandbox.call(os.getpid, timeout_s=10)
    assert second != first
    assert await sandbox.call(operator.add, 2, 3, timeout_s=10) == 5


async def test_sandbox_cancelling_the_caller_kills_the_worker(sandbox: Sandbox) -> None:
    first = await sandbox.call(os.getpid, timeout_s=10)
    job = asyncio.ensure_future(sandbox.call(time.sleep, 30, timeout_s=60))
    await asyncio.sleep(0.05)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    assert await sandbox.call(os.getpid, timeout_s=10) != first


async def test_sandbox_caps_worker_memory() -> None:
    pool = Sandbox(size=1, memory_bytes=512 * 1024 * 1024)
    try:
        with pytest.raises(MemoryError):
            await pool.call(operator.mul, b"a", 2 * 1024**3, timeout_s=30)
        assert await pool.call(operator.add, 1, 1, timeout_s=10) == 2
    finally:
        pool.close()


async def test_sandbox_queues_callers_beyond_its_size(sandbox: Sandbox) -> None:
    calls = [sandbox.call(operator.mul, i, 2, timeout_s=10) for i in range(5)]
    assert await asyncio.gather(*calls) == [0, 2, 4, 6, 8]


def test_output_too_large_error_is_a_node_error() -> None:
    assert OutputTooLargeError("x").code == "OutputTooLargeError"
