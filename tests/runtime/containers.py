"""Helpers for container tests: a list source, a probe that counts how many run at once, and
compact specs of a workflow around one iteration or loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

from runtime.nodes import registry
from runtime.nodes.base import Done, Node, NodeConfig, NodeContext, NodeOutput, VarType
from runtime.variables import Selector, extract_references, render
from tests.runtime.helpers import edge, node, start


class ItemsConfig(NodeConfig):
    items: Any = None


class ItemsNode(Node[ItemsConfig]):
    """Outputs its configured `items` (a list, or anything to try a bad input)."""

    output_types: ClassVar = {"items": "array"}

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Output the items."""
        yield Done({"items": self.config.items})


class ProbeConfig(NodeConfig):
    text: str = ""  # a template: what it outputs
    fail_if: str | None = None  # fail when the rendered text is this
    delay: float = 0.0
    delays: dict[str, float] = {}  # a delay by rendered text, over `delay`


class ProbeNode(Node[ProbeConfig]):
    """Renders `text` after `delay`; fails on `fail_if`. Counts the probes running at once."""

    output_types: ClassVar[dict[str, VarType]] = {"text": "string"}
    running: ClassVar[int] = 0
    peak: ClassVar[int] = 0
    calls: ClassVar[int] = 0

    def references(self) -> list[Selector]:
        """The template's references."""
        return extract_references(self.config.text)

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Render, counting how many probes run together."""
        cls = ProbeNode
        cls.calls += 1
        cls.running += 1
        cls.peak = max(cls.peak, cls.running)
        text = render(self.config.text, ctx.pool)
        try:
            await asyncio.sleep(self.config.delays.get(text, self.config.delay))
        finally:
            cls.running -= 1
        if text == self.config.fail_if:
            raise ValueError(f"probe refused {text}")
        yield Done({"text": text})


class AddConfig(NodeConfig):
    value: list[str]
    add: float = 1


class AddNode(Node[AddConfig]):
    """Outputs `sum`: the number at `value` plus `add`."""

    output_types: ClassVar = {"sum": "number"}

    def references(self) -> list[Selector]:
        """The number it adds to."""
        return [tuple(self.config.value)]

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Add."""
        yield Done({"sum": float(ctx.pool.get(self.config.value)) + self.config.add})


def registered() -> Iterator[None]:
    """Register `items`, `probe` and `add`, with the probe's counters at zero."""
    ProbeNode.running = ProbeNode.peak = ProbeNode.calls = 0
    with (
        registry.temporary("items", ItemsNode),
        registry.temporary("probe", ProbeNode),
        registry.temporary("add", AddNode),
    ):
        yield


def inside(parent: str, spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` as a child of the container `parent`."""
    return {**spec, "parentId": parent}


def around(
    container: dict[str, Any],
    children: list[dict[str, Any]],
    inner_edges: list[dict[str, Any]],
    items: Any = None,
    output: list[str] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """start → items → container → end (its `output`, or the container's `output`), with the
    container's children (those without a parentId of their own) and their edges."""
    cid = container["id"]
    nodes = [
        start(),
        node("list", "items", items=items),
        container,
        *[c if "parentId" in c else inside(cid, c) for c in children],
        node(
            "end", "end", outputs=[{"variable": "out", "value_selector": output or [cid, "output"]}]
        ),
    ]
    edges = [edge("s", "list"), edge("list", cid), edge(cid, "end"), *inner_edges]
    return nodes, edges


def iteration(node_id: str = "it", output: str = "p", **config: Any) -> dict[str, Any]:
    """An iteration over the `list` node's items whose result is the output `text` of `output`."""
    config.setdefault("iterator_selector", ["list", "items"])
    config.setdefault("output_selector", [output, "text"])
    return node(node_id, "iteration", **config)
