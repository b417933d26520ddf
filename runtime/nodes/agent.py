"""The agent node: a model, instructions and tools, in a loop of at most `max_steps` model turns
(`runtime.agent.loop`). Each thought, tool call and tool result is a `Log` the trace shows as it
happens; the final answer streams as `text` deltas."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict
from typing import Any, ClassVar, Literal

from pydantic import Field

from runtime.agent.loop import AgentPrompt, pick_strategy, run_agent
from runtime.agent.steps import (
    AgentItem,
    AgentSettings,
    AnswerDelta,
    Finished,
    Thought,
    ToolCalled,
    ToolResult,
    as_json,
)
from runtime.agent.toolbox import Toolbox, ToolRef, cut
from runtime.nodes.base import (
    CHAT_ONLY,
    MODEL,
    TEMPLATE,
    TOOL_NAME,
    TOOL_SERVER,
    Delta,
    Done,
    Log,
    Node,
    NodeConfig,
    NodeContext,
    NodeOutput,
    VarType,
)
from runtime.nodes.llm import MemorySettings, ModelRef
from runtime.nodes.registry import register
from runtime.resources import MODELS, TOOLS, Resource
from runtime.spec import AppMode
from runtime.variables import Selector, extract_references, render

MAX_STEPS = 50
LOG_CHARS = 2000  # of a tool result or argument text in a log event (the model gets more)
_LABELS: dict[type, str] = {Thought: "thought", ToolCalled: "tool_call", ToolResult: "tool_result"}


class AgentToolConfig(NodeConfig):
    server: str = Field(min_length=1, title="Tool server", json_schema_extra=TOOL_SERVER)
    tool: str = Field(min_length=1, title="Tool", json_schema_extra=TOOL_NAME)


class AgentConfig(NodeConfig):
    model: ModelRef = Field(default_factory=ModelRef, json_schema_extra=MODEL)
    instructions: str = Field(
        "",
        description="What the agent is for and how to work (its system prompt).",
        json_schema_extra=TEMPLATE,
    )
    query: str = Field(
        "{{#sys.query#}}", min_length=1, description="What to do.", json_schema_extra=TEMPLATE
    )
    tools: list[AgentToolConfig] = Field(
        default_factory=list, description="The tools the agent may call."
    )
    strategy: Literal["auto", "function_calling", "react"] = Field(
        "auto",
        description="auto: the model's own tool calls where its server returns them (vLLM, "
        "OpenAI), else a ReAct prompt.",
    )
    max_steps: int = Field(
        5,
        ge=1,
        le=MAX_STEPS,
        title="Max steps",
        description="Model turns before the agent gives up (each may call tools).",
    )
    temperature: float = Field(0.2, ge=0, le=2)
    max_tokens: int = Field(512, ge=1, le=32768, description="Per model turn.")
    tool_timeout_s: float = Field(
        30,
        gt=0,
        le=600,
        title="Tool timeout (s)",
        description="A slower call is an error the model is told about.",
    )
    memory: MemorySettings = Field(
        default_factory=MemorySettings,
        description="Chat memory: the conversation's earlier turns go before the query.",
        json_schema_extra=CHAT_ONLY,
    )


@register("agent", version=1)
class AgentNode(Node[AgentConfig]):
    type_title = "Agent"
    category = "llm"
    description = "A model that calls tools until it can answer; its answer streams as `text`."
    output_types: ClassVar[Mapping[str, VarType]] = {"text": "string", "usage": "object"}
    stream_ports = frozenset({"text"})
    needs = (MODELS, TOOLS)
    palette_rank = 15

    @classmethod
    def default_config(cls, mode: AppMode) -> dict[str, Any]:
        """In a chat app: the user's message as the query, with memory of the conversation; in
        a workflow app an empty query, the one thing to write."""
        config = super().default_config(mode)
        if mode == "chat":
            config["memory"] = {**config["memory"], "enabled": True}
        else:
            config["query"] = ""
        return config

    def resource_needs(self) -> tuple[Resource[Any], ...]:
        """The models, and tool sessions only when it offers tools."""
        return self.needs if self.config.tools else (MODELS,)

    def references(self) -> list[Selector]:
        """Selectors in the instructions and the query."""
        refs = extract_references(self.config.instructions)
        refs += extract_references(self.config.query)
        return list(dict.fromkeys(refs))

    def prompt(self, ctx: NodeContext) -> AgentPrompt:
        """The rendered instructions and query, after the remembered conversation."""
        cfg = self.config
        history = (
            [m for m in ctx.history[-cfg.memory.window :] if m.role != "system"]
            if cfg.memory.enabled
            else []
        )
        return AgentPrompt(render(cfg.instructions, ctx.pool), render(cfg.query, ctx.pool), history)

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Run the loop. Its thoughts, calls and results are logs (results cut for the log);
        the answer streams as `text`; metadata's `agent` says the strategy and steps used."""
        cfg = self.config
        refs = [ToolRef(t.server, t.tool) for t in cfg.tools]
        toolbox = await Toolbox.open(ctx.get(TOOLS), refs) if refs else Toolbox()
        model = ctx.get(MODELS).get(cfg.model.provider)
        settings = AgentSettings(
            model=cfg.model.name,
            max_steps=cfg.max_steps,
            temperature=cfg.temperature,
            max_tokens=cfg.max_tokens,
            tool_timeout_s=cfg.tool_timeout_s,
        )
        strategy = pick_strategy(model, cfg.strategy)
        async for item in run_agent(model, self.prompt(ctx), toolbox, settings, strategy):
            if isinstance(item, AnswerDelta):
                yield Delta("text", item.text)
            elif isinstance(item, Finished):
                yield _done(item)
            else:
                yield Log(_LABELS[type(item)], _log_data(item), item.step)


def _log_data(item: AgentItem) -> dict[str, Any]:
    """A step's JSON for its log, long texts cut (the model got them whole, up to its limit)."""
    data = as_json(item)
    for key in ("result", "arguments", "text"):
        if isinstance(data.get(key), str):
            data[key] = cut(data[key], LOG_CHARS)
    return data


def _done(item: Finished) -> Done:
    used = asdict(item.usage)
    used["total_tokens"] = item.usage.total_tokens
    # a dict, not a list: the run's metadata joins only list values, and this is the node's own
    agent = {"strategy": item.strategy, "steps": item.steps}
    return Done({"text": item.answer, "usage": used}, usage=item.usage, metadata={"agent": agent})
