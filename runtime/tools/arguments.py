"""A tool's arguments checked against its input schema before a call (MCP and built-in tools
alike), so a bad argument is refused with its name before anything runs.

Compiling a schema (checking it against its metaschema, building the validator) costs about a
hundred times one check, and the built-in tool sessions are made anew for each run, so compiled
validators are kept per schema for the whole process: every session, run and tool with the same
schema shares one (jsonschema's validators hold no state between checks).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator

from runtime.errors import ToolArgumentsError
from runtime.resources import ToolInfo

_ANY_OBJECT = {"type": "object"}


class ArgumentsChecker:
    """Checks one tool's arguments against its input schema (compiled once per schema)."""

    __slots__ = ("_tool", "_validator")

    def __init__(self, tool: ToolInfo) -> None:
        self._tool = tool.name
        self._validator = validator(tool.input_schema)

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


def validator(schema: Mapping[str, Any]) -> Validator:
    """The compiled validator of an input schema, shared by every tool with an equal one. An
    empty schema, or one that is not valid JSON Schema (a server's mistake: the server is left
    to check), accepts any object."""
    try:  # in its own key order, which decides the order errors are found in
        key = json.dumps(schema, allow_nan=False)
    except (TypeError, ValueError):  # not JSON (a built-in tool's own schema could be): unshared
        return _compile(dict(schema))
    return _shared(key)


@lru_cache(maxsize=512)
def _shared(key: str) -> Validator:
    return _compile(json.loads(key))


def _compile(schema: dict[str, Any]) -> Validator:
    schema = schema or _ANY_OBJECT
    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError:
        return jsonschema.Draft202012Validator(_ANY_OBJECT)
    return cls(schema)
