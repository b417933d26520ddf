"""Nodes that call tools: the tool node and the agent.

Weft's tools are the workspace's tool servers (MCP servers and built-in ones) called by name;
Dify's come from providers (built-in, API, workflow, MCP). The server is Dify's provider, as
Dify's MCP tools have it, and a provider written as a plugin path (`langgenius/time/time`) is
its last part. Dify's agent runs through a strategy plugin whose settings are
`agent_parameters`; Weft's agent has the same fields as its own config.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from builder.dsl.nodes.base import (
    Data,
    NodeCtx,
    NodeMapping,
    as_dict,
    as_list,
    filled,
    memory_from_dify,
    memory_to_dify,
    model_from_dify,
    number,
    register,
    template_of,
    text,
    whole,
)

_STRATEGIES = {
    "function_calling": ("function_calling", "FunctionCalling"),
    "react": ("ReAct", "ReAct"),
}


def _server(provider: str) -> str:
    """A Dify provider as a Weft tool server's name (a plugin path's last part)."""
    return provider.rsplit("/", 1)[-1]


def _argument(value: Any) -> dict[str, Any]:
    """A Dify tool parameter as a Weft argument: {type, value} as it is, else a constant (a
    text with references is Dify's "mixed")."""
    param = as_dict(value)
    if param.get("type") in ("constant", "variable", "mixed") and "value" in param:
        return {"type": param["type"], "value": param["value"]}
    if isinstance(value, str) and "{{#" in value:
        return {"type": "mixed", "value": value}
    return {"type": "constant", "value": value}


def _tool_to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    c = filled("tool", config)
    server, tool = text(c["server"]), text(c["tool"])
    return {
        "provider_id": server,
        "provider_type": "mcp",
        "provider_name": server,
        "tool_name": tool,
        "tool_label": tool,
        "tool_configurations": {},
        "tool_parameters": {
            name: {"type": as_dict(arg).get("type", "constant"), "value": as_dict(arg).get("value")}
            for name, arg in as_dict(c["arguments"]).items()
        },
        "tool_node_version": "2",
    }


def _tool_from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    provider = text(data.get("provider_name")) or text(data.get("provider_id"))
    kind = text(data.get("provider_type"), "builtin")
    if kind not in ("mcp", "builtin"):
        ctx.warn(
            f"its tool comes from a Dify {kind} provider: add a tool server named"
            f" {_server(provider)} to the workspace"
        )
    arguments = {
        name: _argument(value) for name, value in as_dict(data.get("tool_configurations")).items()
    }
    arguments |= {
        name: _argument(value) for name, value in as_dict(data.get("tool_parameters")).items()
    }
    return {
        **filled("tool", {}),
        "server": _server(provider),
        "tool": text(data.get("tool_name")),
        "arguments": arguments,
    }


def _agent_to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    c = filled("agent", config)
    strategy = text(c["strategy"], "auto")
    if strategy not in _STRATEGIES:
        ctx.keep("strategy", strategy)  # Weft's "auto" picks by the model's server
    name, label = _STRATEGIES.get(strategy, _STRATEGIES["function_calling"])
    model = as_dict(c["model"])
    params = {"temperature": c["temperature"], "max_tokens": c["max_tokens"]}
    data: Data = {
        "agent_strategy_provider_name": "langgenius/agent/agent",
        "agent_strategy_name": name,
        "agent_strategy_label": label,
        "agent_parameters": {
            "model": {
                "type": "constant",
                "value": {
                    "provider": text(model.get("provider")),
                    "model": text(model.get("name")),
                    "name": text(model.get("name")),
                    "mode": "chat",
                    "model_type": "llm",
                    "type": "model-selector",
                    "completion_params": params,
                },
            },
            "tools": {
                "type": "constant",
                "value": [
                    {
                        "enabled": True,
                        "type": "mcp",
                        "provider_name": text(as_dict(t).get("server")),
                        "tool_name": text(as_dict(t).get("tool")),
                        "tool_label": text(as_dict(t).get("tool")),
                        "parameters": {},
                        "settings": {},
                    }
                    for t in as_list(c["tools"])
                ],
            },
            "instruction": {"type": "constant", "value": text(c["instructions"])},
            "query": {"type": "constant", "value": text(c["query"])},
            "maximum_iterations": {"type": "constant", "value": c["max_steps"]},
        },
        "output_schema": None,
        "tool_node_version": "2",
    }
    memory = memory_to_dify(c["memory"], text(c["query"]))
    if memory is not None:
        data["memory"] = memory
    return data


def _agent_from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    params = as_dict(data.get("agent_parameters"))
    model, sampling = model_from_dify(as_dict(params.get("model")).get("value"))
    if not model["name"]:
        model["name"] = text(as_dict(as_dict(params.get("model")).get("value")).get("model"))
    name = text(data.get("agent_strategy_name"))
    strategy = {"function_calling": "function_calling", "react": "react"}.get(name.lower())
    if strategy is None:
        ctx.warn(f"its strategy {name or '(none)'} is Weft's auto (function calling or ReAct)")
    steps = params.get("maximum_iterations", params.get("max_iterations"))
    steps = steps.get("value") if isinstance(steps, Mapping) else steps
    tools = []
    for raw in as_list(as_dict(params.get("tools")).get("value")):
        tool = as_dict(raw)
        if tool.get("enabled", True) is False:
            continue
        provider = text(tool.get("provider_name")) or text(tool.get("provider_id"))
        tools.append({"server": _server(provider), "tool": text(tool.get("tool_name"))})
    c = filled("agent", {})
    return {
        **c,
        "model": model,
        "instructions": template_of(params.get("instruction")),
        "query": template_of(params.get("query")) or c["query"],
        "tools": tools,
        "strategy": strategy or "auto",
        "max_steps": max(1, min(whole(steps, c["max_steps"]), 50)),
        "temperature": number(sampling.get("temperature"), c["temperature"]),
        "max_tokens": whole(sampling.get("max_tokens"), c["max_tokens"]),
        "memory": memory_from_dify(data.get("memory")),
    }


register(
    NodeMapping(
        "tool",
        "tool",
        _tool_to_dify,
        _tool_from_dify,
        weft_only=("timeout_s", "fail_on_tool_error"),
    )
)
register(
    NodeMapping("agent", "agent", _agent_to_dify, _agent_from_dify, weft_only=("tool_timeout_s",))
)
