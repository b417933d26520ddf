"""The engine and the compiler read node capabilities, never type names: a new node class with
a capability behaves as the built-in one that has it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pydantic import Field

from runtime.nodes import registry
from runtime.nodes.answer import AnswerNode
from runtime.nodes.base import SELECTOR, Done, Node, NodeConfig, NodeContext, NodeOutput, VarType
from runtime.nodes.start import StartNode
from runtime.variables import Segment, Selector
from tests.runtime.helpers import build, by_kind, edge, kinds, node, run, start
from tests.runtime.test_compile import codes, issues


class CollectConfig(NodeConfig):
    value_selector: list[str] = Field(min_length=2, json_schema_extra=SELECTOR)


class CollectNode(Node[CollectConfig]):
    """Ends workflow runs with one output, `collected`; shows it as text."""

    ends_run_in = frozenset({"workflow"})
    gives_run_outputs = True
    shows_text = True

    def handles(self) -> list[str]:
        """None: the run ends here."""
        return []

    def outputs(self) -> dict[str, VarType]:
        """One output."""
        return {"collected": "any"}

    def references(self) -> list[Selector]:
        """The collected selector."""
        return [tuple(self.config.value_selector)]

    def segments(self) -> tuple[Segment, ...]:
        """The collected selector, streamed as the end node streams its outputs."""
        return (tuple(self.config.value_selector),)

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Collect the value."""
        yield Done({"collected": ctx.pool.lookup(self.config.value_selector)})


class ReplyNode(AnswerNode):
    """The answer node's capabilities under another name."""


class BeginNode(StartNode):
    """The start node's capabilities under another name."""


@pytest.fixture(autouse=True)
def capability_nodes() -> Iterator[None]:
    with (
        registry.temporary("collect", CollectNode),
        registry.temporary("reply", ReplyNode),
        registry.temporary("begin", BeginNode),
    ):
        yield


LLM = node("m", "llm", prompt="hi")


async def test_capability_a_new_node_that_ends_the_run_gives_its_outputs() -> None:
    collect = node("c", "collect", value_selector=["m", "text"])
    graph = build([start(), LLM, collect], [edge("s", "m"), edge("m", "c")])
    events = await run(graph, script=[["a", "b"]])
    assert events[-1].status == "succeeded"
    assert events[-1].outputs == {"collected": "ab"}
    end = node("end", "end", outputs=[{"variable": "collected", "value_selector": ["m", "text"]}])
    same = await run(build([start(), LLM, end], [edge("s", "m"), edge("m", "end")]), [["a", "b"]])
    assert kinds(events) == kinds(same)
    assert [e.text for e in by_kind(events, "text_chunk")] == ["a", "b"]
    assert [e.node_id for e in by_kind(events, "text_chunk")] == ["c", "c"]


def test_capability_a_new_node_that_ends_runs_counts_as_the_output_of_its_mode() -> None:
    collect = node("c", "collect", value_selector=["s", "x"])
    assert issues([start("x"), collect], [edge("s", "c")]) == []
    found = codes(issues([start("x"), collect], [edge("s", "c")], mode="chat"))
    assert ("wrong_mode", "c") in found
    assert ("no_output", None) in found


async def test_capability_a_new_answer_like_node_streams_and_answers_as_answer_does() -> None:
    def chat(kind: str) -> Any:
        reply = node("a", kind, answer="say: {{#m.text#}}!")
        return build([start(), LLM, reply], [edge("s", "m"), edge("m", "a")], mode="chat")

    new, old = await run(chat("reply"), [["x", "y"]]), await run(chat("answer"), [["x", "y"]])
    assert [e.text for e in by_kind(new, "text_chunk")] == ["say: ", "x", "y", "!"]
    assert [e.text for e in by_kind(new, "text_chunk")] == [
        e.text for e in by_kind(old, "text_chunk")
    ]
    assert new[-1].answer == old[-1].answer == "say: xy!"


async def test_capability_a_new_start_like_node_starts_the_run() -> None:
    begin = node("b", "begin", variables=[{"variable": "x", "type": "text"}])
    end = node("end", "end", outputs=[{"variable": "x", "value_selector": ["b", "x"]}])
    graph = build([begin, end], [edge("b", "end")])
    assert graph.start_id == "b"
    events = await run(graph, inputs={"x": "hello"})
    assert events[-1].outputs == {"x": "hello"}
