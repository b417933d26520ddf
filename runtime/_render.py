"""The template render that runs inside a sandbox worker (see runtime.sandbox).

Kept apart from the node module so the worker imports only Jinja2. `*` and `**` are intercepted
so `'a' * 10**10` or `10 ** 10**9` fail at once instead of filling memory; the output is
counted while it is generated and refused as soon as it passes the limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from runtime.errors import OutputTooLargeError


class _Env(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with size checks on repetition and powers."""

    intercepted_binops = frozenset({"*", "**"})
    max_size = 1024 * 1024  # set per render; a worker renders one template at a time

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Refuse `*` and `**` whose result would be larger than the output limit."""
        if operator == "*":
            _check_repeat(left, right, self.max_size)
            _check_repeat(right, left, self.max_size)
        elif operator == "**":
            _check_power(left, right, self.max_size)
        return super().call_binop(context, operator, left, right)


def _check_repeat(seq: Any, times: Any, limit: int) -> None:
    if not isinstance(seq, str | bytes | list | tuple) or not isinstance(times, int):
        return
    if len(seq) * times > limit:
        raise OutputTooLargeError(
            f"a repetition would make {len(seq) * times} items, more than "
            f"max_output_bytes ({limit})"
        )


def _check_power(base: Any, exponent: Any, limit: int) -> None:
    if not isinstance(base, int) or not isinstance(exponent, int) or abs(base) < 2:
        return
    if exponent > 0 and exponent * math.log2(abs(base)) > 8 * limit:
        raise OutputTooLargeError(
            f"a power would make a number longer than max_output_bytes ({limit})"
        )


_ENV = _Env(undefined=StrictUndefined, autoescape=False)


@lru_cache(maxsize=1024)
def _compiled(source: str) -> Template:
    return _ENV.from_string(source)


def render(source: str, values: Mapping[str, Any], max_bytes: int) -> str:
    """Render `source` over `values`; OutputTooLargeError past `max_bytes` of UTF-8."""
    _ENV.max_size = max_bytes
    parts: list[str] = []
    size = 0
    for piece in _compiled(source).generate(values):
        size += len(piece)  # characters: never more than the bytes they encode to
        if size > max_bytes:
            break
        parts.append(piece)
    text = "".join(parts)
    if size > max_bytes or len(text.encode()) > max_bytes:
        raise OutputTooLargeError(f"the output is larger than max_output_bytes ({max_bytes})")
    return text
