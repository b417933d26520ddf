"""JSON request bodies a server can hold: nested at most WEFT_MAX_JSON_DEPTH deep, and with no
lone surrogate in any string (Python decodes "\\ud800" happily; UTF-8, the database and every
client then refuse it, so the trace of a run that took one was lost).

Both checks walk the parsed value only when the raw text could break them (more brackets than
the depth limit, a \\uD800-\\uDFFF escape), so ordinary bodies cost one `json.loads`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kernel.limits import limits

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonInputError(ValueError):
    """A body refused: `field` names where (`body` for the whole of it)."""

    def __init__(self, message: str, field: str = "body") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def parse_json(raw: bytes) -> Any:
    """The JSON value of a request body; JsonInputError when it is not JSON, nested deeper than
    the limit, or has a string with a lone surrogate."""
    depth = limits().max_json_depth
    try:
        value = json.loads(raw)
    except RecursionError:
        raise JsonInputError(f"the body is nested deeper than {depth} levels") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise JsonInputError(f"the body is not valid JSON ({exc.msg.lower()} at {where})") from None
    except UnicodeDecodeError:
        raise JsonInputError("the body is not valid JSON: it is not UTF-8 text") from None
    deep = raw.count(b"[") + raw.count(b"{") > depth
    if deep or _SURROGATE_ESCAPE.search(raw):
        check_value(value, depth)
    return value


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def check_value(value: Any, max_depth: int) -> None:
    """Raise JsonInputError for nesting deeper than `max_depth` or a lone surrogate, naming the
    field where it is (e.g. `inputs.name`, `messages[0].content`)."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, path, level = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise _half_character(path, "the text")
            continue
        if not isinstance(item, dict | list):
            continue
        if level > max_depth:
            raise JsonInputError(f"the body is nested deeper than {max_depth} levels")
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            if isinstance(key, str) and _SURROGATE.search(key):
                raise _half_character(path, "a name in it")
            stack.append((child, _join(path, key), level + 1))


def _half_character(path: str, what: str) -> JsonInputError:
    """A lone surrogate refused on its field, said in words."""
    field = path or "body"
    return JsonInputError(
        f"{field}: {what} holds half of a character (a lone surrogate), which cannot be stored;"
        " send whole characters",
        field,
    )
