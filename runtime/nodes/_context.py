"""An LLM node's context, as Dify has it: retrieved text put where a prompt says {{#context#}}.

The context variable is usually a knowledge-retrieval node's `result`: its passages go into the
prompt numbered, each under its document's name, and the LLM node cites them in its own
metadata. Any other value goes in as text (and cites nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from runtime.messages import PICK_VARIABLE
from runtime.nodes.base import SELECTOR, NodeConfig
from runtime.resources import RetrievedChunk
from runtime.variables import VariablePool, render, to_text

CONTEXT_MARK = "{{#context#}}"  # not a reference (no dot): rendered by the LLM node alone


class ContextSettings(NodeConfig):
    enabled: bool = False
    variable_selector: list[str] = Field(
        default_factory=list,
        title="Variable",
        description="What goes where a prompt says {{#context#}}: usually a knowledge"
        " retrieval node's result.",
        json_schema_extra=SELECTOR,
        validate_default=True,  # context turned on with no variable yet is reported
    )

    @field_validator("variable_selector")
    @classmethod
    def _chosen(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("enabled") and len(value) < 2:
            raise ValueError(PICK_VARIABLE)
        return value


def check_use(context: ContextSettings, prompts: Mapping[str, Any]) -> None:
    """ValueError, in words, when context is on and no prompt uses {{#context#}}, or a prompt
    uses it while context is off (`prompts`: the LLM config's validated prompt fields)."""
    used = any(isinstance(p, str) and CONTEXT_MARK in p for p in prompts.values())
    if context.enabled and not used:
        raise ValueError(
            f"no prompt uses {CONTEXT_MARK}: write it where the retrieved text goes,"
            " or turn context off"
        )
    if used and not context.enabled:
        raise ValueError(
            f"a prompt uses {CONTEXT_MARK} but context is off: turn it on and pick its"
            f" variable, or take {CONTEXT_MARK} out of the prompt"
        )


def passages(value: Any) -> list[RetrievedChunk]:
    """The retrieved passages in a context value (a knowledge node's `result` items)."""
    if not isinstance(value, list):
        return []
    return [
        RetrievedChunk.from_result(item)
        for item in value
        if isinstance(item, Mapping) and isinstance(item.get("content"), str)
    ]


def context_text(value: Any) -> str:
    """A context value as prompt text: passages numbered under their documents' names,
    separated by blank lines; any other value as text."""
    if not isinstance(value, list):
        return to_text(value)
    parts: list[str] = []
    for n, item in enumerate(value, 1):
        if isinstance(item, Mapping) and isinstance(item.get("content"), str):
            name = item.get("document_name") or item.get("title") or ""
            head = f"[{n}] {name}".rstrip()
            parts.append(f"{head}\n{item['content']}")
        else:
            parts.append(f"[{n}] {to_text(item)}")
    return "\n\n".join(parts)


def render_with_context(template: str, pool: VariablePool, context: str) -> str:
    """`template` rendered, with `context` where it says {{#context#}}. The pieces around it
    are rendered apart, so text in the context is never read as a reference."""
    return context.join(render(piece, pool) for piece in template.split(CONTEXT_MARK))
