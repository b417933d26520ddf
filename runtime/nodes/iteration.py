"""The iteration container: runs the nodes inside it once per item of a list (Dify's iteration).

Its children read the item and its index as `{{#<iteration>.item#}}` and `{{#<iteration>.index#}}`;
after each run the value at `output_selector` (an output of a child) is the item's result, and
`output` lists the results in item order. Items run one after another, or `parallel_nums` at a
time. A failed item (a child failed and its error strategy did not catch it) fails the node
(`terminated`), gives null (`continue-on-error`) or is left out (`remove-abnormal-output`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from runtime.errors import InnerNodeError, IterationInputError
from runtime.nodes.base import (
    HIDDEN,
    SELECTOR,
    ContainerStartNode,
    Done,
    Node,
    NodeConfig,
    NodeContext,
    NodeOutput,
    SubGraphRunner,
    VarType,
    subgraph_of,
)
from runtime.nodes.registry import register
from runtime.spec import AppMode
from runtime.variables import Selector

ErrorMode = Literal["terminated", "continue-on-error", "remove-abnormal-output"]
_FAILED = object()  # an item whose run failed, in the results until the error mode decides


class IterationConfig(NodeConfig):
    iterator_selector: list[str] = Field(
        min_length=2,
        title="Input list",
        description="The list to go through: the nodes inside run once per item.",
        json_schema_extra=SELECTOR,
    )
    output_selector: list[str] = Field(
        min_length=2,
        title="Output variable",
        description="The output of a node inside that is each item's result.",
        json_schema_extra=SELECTOR,
    )
    is_parallel: bool = Field(False, title="Parallel", description="Run several items at once.")
    parallel_nums: int = Field(
        10, ge=1, le=100, title="Items at once", description="At most this many items at once."
    )
    error_handle_mode: ErrorMode = Field(
        "terminated",
        title="When an item fails",
        description="terminated: the iteration fails; continue-on-error: the item's result is"
        " null; remove-abnormal-output: the item is left out of the output.",
    )
    start_node_id: str | None = Field(None, json_schema_extra=HIDDEN)  # kept from Dify's DSL


@register("iteration", version=1)
class IterationNode(Node[IterationConfig]):
    type_title = "Iteration"
    category = "logic"
    description = "Run the nodes inside once per item of a list; output one result per item."
    output_types: ClassVar[Mapping[str, VarType]] = {"output": "array"}
    container_start = "iteration_start"
    palette_rank = 35

    @classmethod
    def default_config(cls, mode: AppMode) -> dict[str, Any]:
        """The defaults, with the input list and the output variable left to pick."""
        return {**super().default_config(mode), "iterator_selector": [], "output_selector": []}

    def references(self) -> list[Selector]:
        """The input list."""
        return [tuple(self.config.iterator_selector)]

    def child_references(self) -> list[Selector]:
        """The output variable, read after each item's run."""
        return [tuple(self.config.output_selector)]

    def inner_outputs(self) -> dict[str, VarType]:
        """The item and its 0-based index."""
        return self.draft_inner_outputs({})

    @classmethod
    def draft_inner_outputs(cls, config: Mapping[str, Any]) -> dict[str, VarType]:
        """The item and its index, whatever the config."""
        return {"item": "any", "index": "number"}

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Run the nodes inside for each item, then output the results in item order."""
        items = ctx.pool.lookup(self.config.iterator_selector)
        if not isinstance(items, list):
            where = ".".join(self.config.iterator_selector)
            kind = "nothing" if items is None else f"a {type(items).__name__}"
            raise IterationInputError(f"the input list ({where}) holds {kind}, not a list")
        sub = subgraph_of(ctx)
        if self.config.is_parallel:
            results = await self._parallel(sub, items)
        else:
            results = [await self._item(sub, item, i) for i, item in enumerate(items)]
        if self.config.error_handle_mode == "remove-abnormal-output":
            output = [r for r in results if r is not _FAILED]
        else:
            output = [None if r is _FAILED else r for r in results]
        yield Done({"output": output})

    async def _item(self, sub: SubGraphRunner, item: Any, index: int) -> Any:
        """One item's result, or _FAILED when its run failed and the mode goes on."""
        try:
            pool = await sub.run({"item": item, "index": index}, index)
        except InnerNodeError as exc:
            if self.config.error_handle_mode == "terminated":
                raise InnerNodeError(
                    f"item {index + 1}: {exc}", exc.node_id, exc.error_code
                ) from exc
            return _FAILED
        return pool.lookup(self.config.output_selector)

    async def _parallel(self, sub: SubGraphRunner, items: list[Any]) -> list[Any]:
        """Every item's result, at most `parallel_nums` running at once; the first failure
        (in `terminated` mode) cancels the items still running."""
        gate = asyncio.Semaphore(self.config.parallel_nums)

        async def gated(item: Any, index: int) -> Any:
            async with gate:
                return await self._item(sub, item, index)

        tasks = [asyncio.ensure_future(gated(item, i)) for i, item in enumerate(items)]
        try:
            return list(await asyncio.gather(*tasks))
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


@register("iteration_start", version=1)
class IterationStartNode(ContainerStartNode):
    type_title = "Iteration start"
    description = "Where the nodes inside an iteration begin, for each item."
