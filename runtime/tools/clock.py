"""The current-time tool: now, in an IANA time zone, as ISO 8601 or a strftime format."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from runtime.errors import ToolArgumentsError
from runtime.resources import ToolResult
from runtime.tools.builtin import BuiltinTool, object_schema, tool_result

TOOL = "current_time"
Clock = Callable[[], datetime]  # an aware datetime: now


def _utc_now() -> datetime:
    return datetime.now(UTC)


def zone(name: str) -> ZoneInfo:
    """The time zone named `name`; ToolArgumentsError naming `timezone` when there is none."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ToolArgumentsError(
            TOOL,
            "timezone",
            f"{name!r} is not a known time zone (give an IANA name such as "
            "Europe/Paris, America/New_York or UTC)",
        ) from None


def current_time_tool(now: Clock = _utc_now) -> BuiltinTool:
    """The tool, reading the time from `now` (tests give a fixed instant)."""

    async def current_time(timezone: str = "UTC", format: str = "") -> ToolResult:
        when = now().astimezone(zone(timezone))
        text = when.strftime(format) if format else when.isoformat(timespec="seconds")
        offset = when.strftime("%z")
        return tool_result(
            text,
            {
                "time": text,
                "iso": when.isoformat(timespec="seconds"),
                "timezone": str(when.tzinfo),
                "utc_offset": f"{offset[:3]}:{offset[3:]}",
                "weekday": when.strftime("%A"),
                "unix": int(when.timestamp()),
            },
        )

    return BuiltinTool(
        TOOL,
        "The current date and time in a time zone (UTC unless one is given).",
        object_schema(
            {
                "timezone": {
                    "type": "string",
                    "description": "An IANA time zone, e.g. Europe/Paris",
                    "default": "UTC",
                    "maxLength": 64,
                },
                "format": {
                    "type": "string",
                    "description": "A strftime format, e.g. %Y-%m-%d %H:%M; empty: ISO 8601",
                    "maxLength": 100,
                },
            }
        ),
        current_time,
    )
