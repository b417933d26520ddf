"""The answer node (chat apps): the text shown to the user, streamed as it is produced."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

from pydantic import Field

from runtime.nodes.base import TEMPLATE, Done, Node, NodeConfig, NodeContext, NodeOutput, VarType
from runtime.nodes.registry import register
from runtime.spec import AppMode
from runtime.variables import Segment, Selector, extract_references, parse_template, render


class AnswerConfig(NodeConfig):
    answer: str = Field(min_length=1, json_schema_extra=TEMPLATE)


@register("answer", version=1)
class AnswerNode(Node[AnswerConfig]):
    type_title = "Answer"
    category = "io"
    description = "Reply to the user in a chat app; references stream as they arrive."
    output_types: ClassVar[Mapping[str, VarType]] = {"answer": "string"}
    ends_run_in = frozenset({"chat"})
    shows_text = True
    answer_port = "answer"
    offered_in = frozenset({"chat"})
    palette_rank = 20

    @classmethod
    def default_config(cls, mode: AppMode) -> dict[str, Any]:
        """An empty answer: the one thing to write (usually an upstream node's output)."""
        return {"answer": ""}

    def references(self) -> list[Selector]:
        """The selectors referenced by the answer template."""
        return extract_references(self.config.answer)

    def segments(self) -> tuple[Segment, ...]:
        """The answer template split into literals and selectors."""
        return parse_template(self.config.answer)

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Render the answer template."""
        yield Done({"answer": render(self.config.answer, ctx.pool)})
