"""The checks a server's settings pass before they are saved: each refusal names its field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from kernel.errors import ApiError
from kernel.tool_sources import reserved_names

NAME = re.compile(r"^[a-z0-9_-]{1,64}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$")
# Characters a shell would act on: the command is run without one, so they would only be part
# of the program's name; refusing them says so instead of a puzzling "not found".
SHELL_CHARS = set(";|&$`<>(){}*?!\\'\"\n\r\t ")
MAX_ARGS, MAX_ARG, MAX_SECRETS, MAX_VALUE = 100, 4000, 50, 8000


def invalid(field: str, words: str) -> ApiError:
    """A 422 naming `field`."""
    return ApiError("invalid_param", 422, f"{field}: {words}", field=field)


def check_name(name: str) -> str:
    """The server name, or a refusal: the pattern, and not a built-in server's name."""
    name = name.strip()
    if not NAME.match(name):
        raise invalid("name", "use 1 to 64 of a-z, 0-9, _ and - (e.g. time or git-repo)")
    if name in reserved_names():
        raise invalid("name", f"{name!r} is the name of a built-in tool server: pick another")
    return name


def check_settings(values: Mapping[str, Any]) -> None:
    """Refuse a server whose transport lacks what it needs, or whose fields are malformed."""
    if values["transport"] == "stdio":
        _check_command(values["command"])
        _check_args(values["args"])
    else:
        _check_url(values["url"])
    _check_secrets("env", values["env"], ENV_NAME, "a letter or _, then letters, digits or _")
    _check_secrets("headers", values["headers"], HEADER_NAME, "an HTTP header name", {"\r", "\n"})


def _check_command(command: str) -> None:
    if not command.strip():
        raise invalid("command", "give the program to run (e.g. mcp-server-time)")
    if len(command) > 1000 or "\0" in command:
        raise invalid("command", "too long, or holds a NUL character")
    if SHELL_CHARS & set(command):
        raise invalid(
            "command",
            "one program only, without spaces or shell characters: it runs without a shell, "
            "so put each argument on its own line under arguments",
        )


def _check_args(args: list[str]) -> None:
    if len(args) > MAX_ARGS:
        raise invalid("args", f"at most {MAX_ARGS} arguments")
    for i, arg in enumerate(args):
        if len(arg) > MAX_ARG or "\0" in arg:
            raise invalid(f"args[{i}]", f"at most {MAX_ARG} characters, and no NUL")


def _check_url(url: str) -> None:
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname or len(url) > 2000:
        raise invalid("url", "give the server's http:// or https:// MCP endpoint")


def _check_secrets(
    field: str,
    given: Mapping[str, str | None],
    pattern: re.Pattern[str],
    what: str,
    banned: frozenset[str] | set[str] = frozenset(),
) -> None:
    if len(given) > MAX_SECRETS:
        raise invalid(field, f"at most {MAX_SECRETS} entries")
    for name, value in given.items():
        if not pattern.match(name):
            raise invalid(f"{field}.{name}", f"not a valid name: use {what}")
        if value is not None and (len(value) > MAX_VALUE or set(value) & {"\0", *banned}):
            lines = " on one line" if banned else ""
            raise invalid(f"{field}.{name}", f"at most {MAX_VALUE} characters{lines}, no NUL")
