"""Built-in tools: sessions over plain async functions (`builtin`), and the servers every
workspace gets without any app: time, calculator and http (`standard_servers`)."""

from __future__ import annotations

from runtime.outbound import OutboundPolicy
from runtime.tools.builtin import BuiltinTool, BuiltinTools, object_schema, tool_result
from runtime.tools.calculator import CALCULATE
from runtime.tools.clock import Clock, current_time_tool
from runtime.tools.http import http_request_tool

STANDARD_SERVERS = frozenset({"time", "calculator", "http"})

__all__ = [
    "STANDARD_SERVERS",
    "BuiltinTool",
    "BuiltinTools",
    "object_schema",
    "standard_servers",
    "tool_result",
]


def standard_servers(policy: OutboundPolicy, now: Clock | None = None) -> dict[str, BuiltinTools]:
    """The time, calculator and http servers; http reaches only what `policy` allows."""
    clock = current_time_tool() if now is None else current_time_tool(now)
    return {
        "time": BuiltinTools([clock], label="time"),
        "calculator": BuiltinTools([CALCULATE], label="calculator"),
        "http": BuiltinTools([http_request_tool(policy)], label="http"),
    }
