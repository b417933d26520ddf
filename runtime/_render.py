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

from jinja2 import StrictUndefined, Template, nodes
from jinja2.exceptions import TemplateSyntaxError
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


# A "bounded" template costs time linear in its own size and its values' sizes: it is built only
# of these nodes (no loops, calls, macros, binary operators, literals), filters from
# _BOUNDED_FILTERS without arguments (`default` takes constants), and at most _BOUNDED_NODES nodes.
# Such a render is like substituting a prompt's variables, so it runs where the node runs;
# anything else goes to a sandbox worker, which a time limit can stop.
_BOUNDED_KINDS = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Slice,
    nodes.If,
    nodes.CondExpr,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Test,
    nodes.Filter,
)
_BOUNDED_FILTERS = frozenset(
    {"default", "d", "lower", "upper", "trim", "string", "length", "count", "capitalize"}
    | {"title", "first", "last", "int", "float", "abs", "escape", "e", "tojson"}
)
_BOUNDED_NODES = 100


@lru_cache(maxsize=1024)
def is_bounded(source: str) -> bool:
    """Whether rendering `source` costs time linear in its size and its values' (see above)."""
    try:
        tree = _ENV.parse(source)
    except TemplateSyntaxError:
        return False  # the sandbox worker reports it, as for any template
    for count, node in enumerate(tree.find_all(nodes.Node), 1):
        if count > _BOUNDED_NODES or not isinstance(node, _BOUNDED_KINDS):
            return False
        if isinstance(node, nodes.Filter) and not _bounded_filter(node):
            return False
    return True


def _bounded_filter(node: nodes.Filter) -> bool:
    if node.name not in _BOUNDED_FILTERS or node.kwargs or node.dyn_args or node.dyn_kwargs:
        return False
    if node.name in ("default", "d"):
        return all(isinstance(arg, nodes.Const) for arg in node.args)
    return not node.args


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
