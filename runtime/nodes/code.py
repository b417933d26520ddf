"""The code node (Dify's `code`, python3): `main(**inputs)` in a locked-down child process.

Its inputs are variables mapped to names, its code defines `main` taking those names, and the
dict `main` returns holds its declared outputs, each checked against its type (string, number,
boolean, object, array[...]); an output may be None, as in Dify, and keys not declared are left
out. The code runs through the run's CODE_SANDBOX resource, which a workspace has only when its
admin turned code nodes on; runtime/code_sandbox.py and runtime/_code_child.py say what the
process may and may not do.
"""

from __future__ import annotations

import ast
import math
from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal, cast

from pydantic import Field, field_validator

from runtime.code_sandbox import CodeLimits
from runtime.errors import CodeOutputError
from runtime.messages import NAME_PATTERN
from runtime.nodes.base import (
    HIDDEN,
    SELECTOR,
    Done,
    Node,
    NodeConfig,
    NodeContext,
    NodeOutput,
    VarType,
)
from runtime.nodes.registry import register
from runtime.resources import CODE_SANDBOX
from runtime.spec import AppMode
from runtime.variables import Selector

OutputType = Literal[
    "string",
    "number",
    "boolean",
    "object",
    "array[string]",
    "array[number]",
    "array[boolean]",
    "array[object]",
]
MAX_CODE_CHARS = 64 * 1024
DEFAULT_CODE = 'def main(arg1: str) -> dict:\n    return {\n        "result": arg1,\n    }\n'
_SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
}


class CodeVariable(NodeConfig):
    variable: str = Field(pattern=NAME_PATTERN, title="Argument name")
    value_selector: list[str] = Field(min_length=2, json_schema_extra=SELECTOR)


class CodeOutput(NodeConfig):
    variable: str = Field(pattern=NAME_PATTERN, title="Output name")
    type: OutputType = Field("string", title="Type")


def _unique(rows: list[Any], what: str) -> list[Any]:
    seen: set[str] = set()
    for row in rows:
        if row.variable in seen:
            raise ValueError(f"{what} {row.variable!r} is listed twice: give each its own name")
        seen.add(row.variable)
    return rows


class CodeConfig(NodeConfig):
    variables: list[CodeVariable] = Field(
        default_factory=list, title="Inputs", description="Variables passed to main by name."
    )
    code_language: Literal["python3"] = Field("python3", json_schema_extra=HIDDEN)
    code: str = Field(
        DEFAULT_CODE,
        max_length=MAX_CODE_CHARS,
        title="Code",
        description="Python defining main(...), which returns a dict of the outputs.",
        json_schema_extra={"widget": "code"},
    )
    outputs: list[CodeOutput] = Field(
        default_factory=lambda: [CodeOutput(variable="result")],
        title="Outputs",
        description="The keys of the dict main returns, each with its type.",
    )

    @field_validator("variables")
    @classmethod
    def _unique_inputs(cls, rows: list[CodeVariable]) -> list[CodeVariable]:
        return _unique(rows, "the input")

    @field_validator("outputs")
    @classmethod
    def _unique_outputs(cls, rows: list[CodeOutput]) -> list[CodeOutput]:
        return _unique(rows, "the output")

    @field_validator("code")
    @classmethod
    def _defines_main(cls, code: str) -> str:
        try:
            tree = ast.parse(code, "<code>")
        except SyntaxError as exc:
            raise ValueError(f"line {exc.lineno}: {exc.msg}") from None
        except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, deep nesting
            raise ValueError(f"the code cannot be read ({type(exc).__name__})") from None
        if not any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in tree.body):
            raise ValueError("define a function main(...) at the top level that returns a dict")
        return code


def _var_type(kind: OutputType) -> VarType:
    """The variable type a declared output type stands for in the editor's pickers."""
    return "array" if kind.startswith("array[") else cast(VarType, kind)


def _conforms(value: Any, kind: str) -> bool:
    """Whether `value` is of the declared output type (bool is not a number)."""
    if kind.startswith("array["):
        item = kind[len("array[") : -1]
        return isinstance(value, list) and all(_conforms(v, item) for v in value)
    if kind == "number" and isinstance(value, bool):
        return False
    if kind == "number" and isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, _SCALARS[kind])


def checked_outputs(declared: list[CodeOutput], result: Mapping[str, Any]) -> dict[str, Any]:
    """The declared outputs of `result`, each of its type (or None); CodeOutputError names one
    that is missing or of another type."""
    outputs: dict[str, Any] = {}
    for out in declared:
        if out.variable not in result:
            message = f"main returned no {out.variable!r}: return a dict with every output"
            raise CodeOutputError(message, out.variable)
        value = result[out.variable]
        if value is not None and not _conforms(value, out.type):
            got = type(value).__name__
            message = f"output {out.variable!r} must be {out.type}, but main returned a {got}"
            raise CodeOutputError(message, out.variable)
        outputs[out.variable] = value
    return outputs


@register("code", version=1)
class CodeNode(Node[CodeConfig]):
    type_title = "Code"
    category = "transform"
    description = "Run Python: main(inputs) returns a dict of outputs (a locked-down process)."
    dynamic_outputs = True
    needs = (CODE_SANDBOX,)
    palette_rank = 42

    @classmethod
    def default_config(cls, mode: AppMode) -> dict[str, Any]:
        """main(arg1) returning {"result": arg1}; in a chat app arg1 is the user's message, in a
        workflow app it is the one thing to pick."""
        selector = ["sys", "query"] if mode == "chat" else []
        return {
            **super().default_config(mode),
            "variables": [{"variable": "arg1", "value_selector": selector}],
        }

    def outputs(self) -> dict[str, VarType]:
        """The declared outputs; an array of any item type is an array."""
        return {o.variable: _var_type(o.type) for o in self.config.outputs}

    def references(self) -> list[Selector]:
        """The inputs' selectors."""
        return [tuple(v.value_selector) for v in self.config.variables]

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Run main(**inputs) in the sandbox, within the run's limits and the node's timeout."""
        inputs = {v.variable: ctx.pool.lookup(v.value_selector) for v in self.config.variables}
        seconds = ctx.limits.max_code_s
        if self.settings.timeout_s is not None:
            seconds = min(seconds, self.settings.timeout_s)
        limits = CodeLimits(
            timeout_s=seconds,
            memory_bytes=ctx.limits.max_code_memory_bytes,
            max_output_bytes=ctx.limits.max_output_bytes,
        )
        result = await ctx.get(CODE_SANDBOX).run(self.config.code, inputs, limits)
        yield Done(checked_outputs(self.config.outputs, result))
