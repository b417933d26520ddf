"""The human-input node: pauses the run and asks a person to fill in a form (runtime.pause).

Its outputs are the form's answers, by field name, and `timed_out`. When nobody answers within
`timeout_s`, `on_timeout` decides: "fail" fails the node (HumanInputTimeoutError, so its error
strategy applies), "default" goes on with each field's default, "branch" goes on with the
defaults through the node's "timeout" handle.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from runtime.errors import HumanInputTimeoutError
from runtime.nodes.base import (
    TEMPLATE,
    Done,
    Node,
    NodeConfig,
    NodeContext,
    NodeOutput,
    Paused,
    VarType,
)
from runtime.nodes.registry import register
from runtime.pause import TIMEOUT_HANDLE, FormField, OnTimeout, PauseForm, default_answers
from runtime.spec import SOURCE_HANDLE, AppMode, _error_at
from runtime.variables import Selector, extract_references, render

_TYPES: dict[str, VarType] = {
    "text": "string",
    "choice": "string",
    "number": "number",
    "boolean": "boolean",
}


class HumanInputConfig(NodeConfig):
    prompt: str = Field(
        "",
        json_schema_extra=TEMPLATE,
        description="What to ask the person; may reference variables.",
    )
    fields: list[FormField] = Field(
        default_factory=list, description="The fields the person fills in."
    )
    timeout_s: float | None = Field(
        None, gt=0, title="Timeout in seconds", description="Empty: wait until someone answers."
    )
    on_timeout: OnTimeout = Field(
        "fail",
        description="On timeout: fail the node, go on with the defaults, or take the timeout "
        "branch (with the defaults).",
    )

    @model_validator(mode="after")
    def _names_unique(self) -> HumanInputConfig:
        """Two fields may not share a name (it is the output's name)."""
        seen: set[str] = set()
        for i, f in enumerate(self.fields):
            if f.name in seen or f.name == "timed_out":
                taken = PydanticCustomError(
                    "name_taken", "{name} is already taken; rename this field", {"name": f.name}
                )
                raise _error_at("HumanInputConfig", ("fields", i, "name"), taken, f.name)
            seen.add(f.name)
        return self


@register("human_input", version=1)
class HumanInputNode(Node[HumanInputConfig]):
    type_title = "Human input"
    category = "logic"
    description = "Pause the run and ask a person to fill in a form."
    dynamic_outputs = True
    dynamic_handles = True
    asks_person = True
    palette_rank = 60

    @classmethod
    def default_config(cls, mode: AppMode) -> dict[str, Any]:
        """One required text field named "answer"."""
        return {
            **super().default_config(mode),
            "fields": [{"name": "answer", "label": "Answer", "type": "text", "required": True}],
        }

    @classmethod
    def draft_handles(cls, config: Mapping[str, Any]) -> list[str]:
        """ "source", and "timeout" when on_timeout takes a branch."""
        return _handles(config.get("on_timeout"))

    def handles(self) -> list[str]:
        """ "source", and "timeout" when on_timeout takes a branch."""
        return _handles(self.config.on_timeout)

    def outputs(self) -> dict[str, VarType]:
        """One output per field, and whether the form timed out."""
        return {**{f.name: _TYPES[f.type] for f in self.config.fields}, "timed_out": "boolean"}

    def references(self) -> list[Selector]:
        """The selectors in the prompt."""
        return extract_references(self.config.prompt)

    def form(self, ctx: NodeContext) -> PauseForm:
        """The form to ask, its prompt rendered with the run's values."""
        c = self.config
        return PauseForm(
            node_id=self.node_id,
            title=self.title,
            prompt=render(c.prompt, ctx.pool),
            fields=list(c.fields),
            timeout_s=c.timeout_s,
            on_timeout=c.on_timeout,
        )

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Pause with the form; when resumed, output the answers (or apply on_timeout)."""
        reply = ctx.reply
        if reply is None:
            yield Paused(self.form(ctx))
            return
        if not reply.timed_out:
            yield Done({**reply.answers, "timed_out": False})
            return
        on_timeout = self.config.on_timeout
        if on_timeout == "fail":
            raise HumanInputTimeoutError(f"nobody answered {self.title} in time")
        defaults = default_answers(self.form(ctx))
        handle = TIMEOUT_HANDLE if on_timeout == "branch" else SOURCE_HANDLE
        yield Done({**defaults, "timed_out": True}, handle)


def _handles(on_timeout: object) -> list[str]:
    return [SOURCE_HANDLE, TIMEOUT_HANDLE] if on_timeout == "branch" else [SOURCE_HANDLE]
