"""The calculator tool: safe arithmetic over Python's syntax tree, never `eval`.

Only numbers, + - * / // % **, unary + and -, parentheses, the constants pi and e and a few
math functions are allowed; anything else (names, attribute access, lambdas, text, calls of
anything else) is refused before a value is computed. Sizes are checked before each power and
product, so `9**9**9` is refused rather than computed: an integer result may have at most
MAX_BITS bits (about 1,200 digits).
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any, cast

from runtime.errors import ToolArgumentsError
from runtime.resources import ToolResult
from runtime.tools.builtin import BuiltinTool, object_schema, tool_result

TOOL = "calculate"
MAX_LENGTH = 500  # characters of an expression
MAX_BITS = 4096  # of an integer result (about 1,233 digits)
MAX_ARGS = 100  # of min and max

Number = int | float
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
# name → (function, fewest arguments, most arguments)
_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "sqrt": (math.sqrt, 1, 1),
    "log": (math.log, 1, 2),
    "sin": (math.sin, 1, 1),
    "cos": (math.cos, 1, 1),
    "abs": (abs, 1, 1),
    "round": (round, 1, 2),
    "min": (min, 1, MAX_ARGS),
    "max": (max, 1, MAX_ARGS),
}
_WHAT: dict[type[ast.AST], str] = {  # what a refused piece of syntax is, in words
    ast.Attribute: "attribute access",
    ast.Lambda: "a lambda",
    ast.Compare: "a comparison",
    ast.BoolOp: "and/or",
    ast.Subscript: "indexing",
    ast.IfExp: "if/else",
    ast.NamedExpr: "an assignment",
    ast.JoinedStr: "text",
}
KNOWN = "numbers, + - * / // % **, parentheses, pi, e and " + ", ".join(_FUNCTIONS)


class CalculationError(ValueError):
    """Why an expression is refused or cannot be computed (in words, after "the expression")."""


def evaluate(expression: str) -> Number:
    """The value of an arithmetic expression; CalculationError says why it has none."""
    if len(expression) > MAX_LENGTH:
        raise CalculationError(f"is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise CalculationError(f"is not arithmetic ({exc.msg})") from None
    except (RecursionError, MemoryError, ValueError):
        raise CalculationError("is nested too deeply") from None
    try:
        value = _eval(tree.body)
    except ZeroDivisionError:
        raise CalculationError("divides by zero") from None
    except OverflowError:
        raise CalculationError("has a result too large to compute") from None
    except RecursionError:
        raise CalculationError("is nested too deeply") from None
    except (ValueError, TypeError) as exc:
        if isinstance(exc, CalculationError):
            raise
        raise CalculationError(f"cannot be computed ({exc})") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise CalculationError("has a result too large to compute")
    return value


def _eval(node: ast.AST) -> Number:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise CalculationError(f"may hold only numbers, not {node.value!r}")
        return node.value
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise CalculationError(f"uses the unknown name {node.id!r} (it may use {KNOWN})")
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _real(_UNARY[type(node.op)](_eval(node.operand)))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        _check_size(node.op, left, right)
        return _real(_BINARY[type(node.op)](left, right))
    if isinstance(node, ast.Call):
        return _call(node)
    what = _WHAT.get(type(node), f"{type(node).__name__} syntax")
    if isinstance(node, ast.Attribute):
        what = f"attribute access (.{node.attr})"
    elif isinstance(node, ast.UnaryOp | ast.BinOp):
        what = f"the operator {type(node.op).__name__}"
    raise CalculationError(f"uses {what}, which is not allowed (it may use {KNOWN})")


def _call(node: ast.Call) -> Number:
    name = node.func.id if isinstance(node.func, ast.Name) else ""
    if name not in _FUNCTIONS:
        shown = name or ast.unparse(node.func)
        raise CalculationError(f"calls {shown}, which is not allowed (it may use {KNOWN})")
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise CalculationError(f"gives {name}() named or unpacked arguments; give numbers")
    function, fewest, most = _FUNCTIONS[name]
    if not fewest <= len(node.args) <= most:
        count = str(fewest) if fewest == most else f"{fewest} to {most}"
        raise CalculationError(f"gives {name}() {len(node.args)} arguments; it takes {count}")
    args = [_eval(a) for a in node.args]
    if name == "round" and len(args) == 2 and not isinstance(args[1], int):
        raise CalculationError("gives round() a number of digits that is not whole")
    return _real(function(*args))


def _check_size(op: ast.operator, left: Number, right: Number) -> None:
    """Refuse a power or product of integers whose result would be over MAX_BITS, before it is
    computed (a float overflows on its own, as OverflowError)."""
    if not (isinstance(left, int) and isinstance(right, int)):
        return
    if isinstance(op, ast.Pow) and right > 0 and abs(left) > 1:
        bits = math.log2(abs(left)) * right
        if bits > MAX_BITS:
            raise CalculationError(
                f"raises {left} to the power {right}: the result would have over "
                f"{int(bits * math.log10(2)):,} digits (the limit is "
                f"{int(MAX_BITS * math.log10(2)):,})"
            )
    elif isinstance(op, ast.Mult) and left.bit_length() + right.bit_length() > MAX_BITS + 1:
        raise CalculationError("multiplies numbers whose product is too large")


def _real(value: Any) -> Number:
    if isinstance(value, complex):
        raise CalculationError("has no real result (a root of a negative number)")
    return cast(Number, value)  # the operators and math functions give int or float


def _shown(value: Number) -> str:
    return repr(value) if isinstance(value, float) else str(value)


async def calculate(expression: str) -> ToolResult:
    """The tool's function: the value of `expression`; ToolArgumentsError names it otherwise."""
    try:
        value = evaluate(expression)
    except CalculationError as exc:
        raise ToolArgumentsError(TOOL, "expression", f"{expression!r} {exc}") from None
    return tool_result(_shown(value), {"expression": expression, "result": value})


CALCULATE = BuiltinTool(
    TOOL,
    "Compute an arithmetic expression exactly (not a guess): numbers, + - * / // % **, "
    "parentheses, pi, e, sqrt, log (natural, or log(x, base)), sin, cos (radians), abs, "
    "round, min and max.",
    object_schema(
        {
            "expression": {
                "type": "string",
                "description": "The arithmetic to compute, e.g. (3 + 4) * sqrt(2) / 7",
                "minLength": 1,
                "maxLength": MAX_LENGTH,
            }
        },
        ["expression"],
    ),
    calculate,
)
