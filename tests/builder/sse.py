"""Parsing SSE bodies in tests."""

from __future__ import annotations

import json
from typing import Any


def parse_sse(body: bytes) -> list[dict[str, Any]]:
    """The JSON `data:` payloads of an SSE body, in order (pings and [DONE] left out)."""
    events = []
    for frame in body.decode().split("\n\n"):
        for line in frame.splitlines():
            if line.startswith("data: ") and line[6:] != "[DONE]":
                events.append(json.loads(line[6:]))
    return events
