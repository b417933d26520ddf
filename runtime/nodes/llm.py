"""The LLM node: renders prompts, streams the model's answer as `text` deltas."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict
from typing import Any, ClassVar

from pydantic import Field, ValidationInfo, field_validator

from runtime.llm.protocol import ChatMessage, ChatRequest, TextDelta, Usage
from runtime.nodes._context import (
    ContextSettings,
    check_use,
    context_text,
    passages,
    render_with_context,
)
from runtime.nodes.base import (
    CHAT_ONLY,
    MODEL,
    TEMPLATE,
    Delta,
    Done,
    Node,
    NodeConfig,
    NodeContext,
    NodeOutput,
    VarType,
)
from runtime.nodes.registry import register
from runtime.resources import MODELS
from runtime.spec import AppMode
from runtime.variables import Selector, extract_references


class ModelRef(NodeConfig):
    provider: str = "embedded"
    name: str = ""


class MemorySettings(NodeConfig):
    # Off when a stored config leaves it out (published apps and Dify's DSL keep their meaning);
    # a new LLM node in a chat app starts with it on (`LLMNode.default_config`).
    enabled: bool = False
    window: int = Field(10, ge=1, le=100, description="How many past messages to include.")


class LLMConfig(NodeConfig):
    model: ModelRef = Field(default_factory=ModelRef, json_schema_extra=MODEL)
    system_prompt: str = Field("", json_schema_extra=TEMPLATE)
    prompt: str = Field("{{#sys.query#}}", min_length=1, json_schema_extra=TEMPLATE)
    temperature: float = Field(0.7, ge=0, le=2)
    max_tokens: int = Field(256, ge=1, le=32768)
    memory: MemorySettings = Field(
        default_factory=MemorySettings,
        description="Chat memory: the conversation's earlier turns go before the prompt.",
        json_schema_extra=CHAT_ONLY,
    )
    stream: bool = True
    # after the prompts: its check reads them (validate_default: a prompt using {{#context#}}
    # with no context given is reported too)
    context: ContextSettings = Field(
        default_factory=ContextSettings,
        description="Retrieved text for the prompts: it goes where they say {{#context#}}.",
        validate_default=True,
    )

    @field_validator("context")
    @classmethod
    def _context_used(cls, context: ContextSettings, info: ValidationInfo) -> ContextSettings:
        if "prompt" in info.data:  # else the prompt's own issue says what to fix first
            check_use(context, {k: info.data.get(k) for k in ("system_prompt", "prompt")})
        return context


@register("llm", version=1)
class LLMNode(Node[LLMConfig]):
    type_title = "LLM"
    category = "llm"
    description = "Ask a chat model; its answer streams as `text`."
    output_types: ClassVar[Mapping[str, VarType]] = {"text": "string", "usage": "object"}
    stream_ports = frozenset({"text"})
    needs = (MODELS,)
    palette_rank = 10

    @classmethod
    def default_config(cls, mode: AppMode) -> dict[str, Any]:
        """In a chat app: the user's message as the prompt, with memory of the conversation. In
        a workflow app (no sys.query, no conversation): an empty prompt, the one thing to write."""
        config = super().default_config(mode)
        if mode == "chat":
            config["prompt"] = "{{#sys.query#}}"
            config["memory"] = {**config["memory"], "enabled": True}
        else:
            config["prompt"] = ""
        return config

    def references(self) -> list[Selector]:
        """Selectors in the system prompt and the prompt, and the context's when it is on."""
        refs = extract_references(self.config.system_prompt) + extract_references(
            self.config.prompt
        )
        if self.config.context.enabled:
            refs.append(tuple(self.config.context.variable_selector))
        return list(dict.fromkeys(refs))

    def context_value(self, ctx: NodeContext) -> Any:
        """The value of the context variable (None when context is off)."""
        context = self.config.context
        return ctx.pool.lookup(context.variable_selector) if context.enabled else None

    def streams(self) -> frozenset[str]:
        """The `text` port, when streaming is on."""
        return self.stream_ports if self.config.stream else frozenset()

    def remembered(self, ctx: NodeContext) -> list[ChatMessage]:
        """The conversation's messages this node sends before its prompt (none without memory)."""
        if not self.config.memory.enabled:
            return []
        return [m for m in ctx.history[-self.config.memory.window :] if m.role != "system"]

    def messages(self, ctx: NodeContext) -> tuple[ChatMessage, ...]:
        """System prompt, chat memory (when enabled), then the rendered user prompt; the
        context's text goes where either prompt says {{#context#}}."""
        context = context_text(self.context_value(ctx))
        msgs: list[ChatMessage] = []
        system = render_with_context(self.config.system_prompt, ctx.pool, context)
        if system:
            msgs.append(ChatMessage("system", system))
        msgs.extend(self.remembered(ctx))
        msgs.append(ChatMessage("user", render_with_context(self.config.prompt, ctx.pool, context)))
        return tuple(msgs)

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Stream the model's answer. Its metadata's `prompt` is what the model was sent (the
        node's trace shows it): the messages, and how many of them came from chat memory. The
        passages its context holds are cited as `retriever_resources`, as the knowledge node
        cites them: the run lists each once (see `RunFinished.metadata`), whichever node
        finishes last."""
        cfg = self.config
        messages = self.messages(ctx)
        request = ChatRequest(
            model=cfg.model.name,
            messages=messages,
            temperature=cfg.temperature,
            max_tokens=cfg.max_tokens,
        )
        parts: list[str] = []
        usage: Usage | None = None
        async for chunk in ctx.get(MODELS).get(cfg.model.provider).stream(request):
            if isinstance(chunk, TextDelta):
                parts.append(chunk.text)
                if cfg.stream:
                    yield Delta("text", chunk.text)
            elif isinstance(chunk, Usage):
                usage = chunk
        used = asdict(usage) if usage else {"prompt_tokens": 0, "completion_tokens": 0}
        used["total_tokens"] = used["prompt_tokens"] + used["completion_tokens"]
        # a dict, not a list: the run's metadata joins only list values, and this is the node's own
        prompt = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "from_memory": len(self.remembered(ctx)),
        }
        outputs = {"text": "".join(parts), "usage": used}
        metadata: dict[str, Any] = {"prompt": prompt}
        cited = [p.as_citation(i) for i, p in enumerate(passages(self.context_value(ctx)), 1)]
        if cited:
            metadata["retriever_resources"] = cited
        yield Done(outputs, usage=usage, metadata=metadata)
