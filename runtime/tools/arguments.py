"""A tool's arguments checked against its input schema before a call (MCP and built-in tools
alike), so a bad argument is refused with its name before anything runs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from runtime.errors import ToolArgumentsError
from runtime.resources import ToolInfo


class ArgumentsChecker:
    """Checks one tool's arguments against its input schema (compiled once per tool)."""

    __slots__ = ("_tool", "_validator")

    def __init__(self, tool: ToolInfo) -> None:
        self._tool = tool.name
        schema = dict(tool.input_schema) or {"type": "object"}
        cls = jsonschema.validators.validator_for(schema)
        try:
            cls.check_schema(schema)
        except jsonschema.SchemaError:
            schema = {"type": "object"}  # a server's broken schema: leave the check to it
            cls = jsonschema.Draft202012Validator
        self._validator = cls(schema)

    def check(self, arguments: Mapping[str, Any]) -> None:
        """ToolArgumentsError naming the first argument that does not fit the schema."""
        if self._validator.is_valid(arguments):
            return
        error = best_match(self._validator.iter_errors(dict(arguments)))
        if error is None:
            return
        if error.validator == "required" and not error.path:
            missing = [n for n in error.validator_value if n not in arguments]
            name = str(missing[0]) if missing else ""
            raise ToolArgumentsError(self._tool, name, "is required")
        if error.validator == "additionalProperties" and not error.path:
            known = error.schema.get("properties") or {}
            patterns = error.schema.get("patternProperties") or {}
            extra = sorted(
                n
                for n in arguments
                if n not in known and not any(re.search(p, n) for p in patterns)
            )
            if extra:  # name the first: a caller fixes one at a time
                takes = ", ".join(sorted(known)) or "none"
                raise ToolArgumentsError(self._tool, extra[0], f"is unknown (it takes: {takes})")
            raise ToolArgumentsError(self._tool, "", f"are wrong: {error.message}")
        name = ".".join(str(p) for p in error.path)
        raise ToolArgumentsError(self._tool, name, f"is wrong: {error.message}")
