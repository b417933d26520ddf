"""A ToolServer row as the runtime's MCP config, and its secrets (env and header values):
encrypted one by one at rest, decrypted only to build a config, named (never shown) by the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kernel.crypto import decrypt, encrypt
from runtime.masking import MASK
from runtime.mcp import HttpServer, StdioServer
from tools.models import ToolServer, Transport


def do_seal_secrets(given: Mapping[str, str | None], stored: Mapping[str, str]) -> dict[str, str]:
    """The stored secrets after an edit: each given name with a value is encrypted anew, one
    given as None keeps its stored value, and a stored name not given is dropped."""
    return {
        name: stored[name] if value is None else encrypt(value) for name, value in given.items()
    }


def secret_names(stored: Mapping[str, str]) -> list[dict[str, Any]]:
    """What the API says of stored secrets: their names, and that each is set."""
    return [{"name": name, "set": bool(token)} for name, token in sorted(stored.items())]


def _open(stored: Mapping[str, str]) -> dict[str, str]:
    return {name: decrypt(token) for name, token in stored.items()}


def server_config(row: ToolServer) -> StdioServer | HttpServer:
    """The runtime config of a server, its secrets decrypted (ValueError when the key that
    encrypted them is gone)."""
    timeouts = {"connect_timeout_s": row.connect_timeout_s, "call_timeout_s": row.call_timeout_s}
    if row.transport == Transport.STDIO:
        return StdioServer(
            command=row.command, args=tuple(row.args), env=_open(row.env), **timeouts
        )
    return HttpServer(url=row.url, headers=_open(row.headers), **timeouts)


def secret_values(config: StdioServer | HttpServer) -> list[str]:
    """The secret values in a config (to mask them in what the server says)."""
    values = config.env if isinstance(config, StdioServer) else config.headers
    return [v for v in values.values() if len(v) >= 4]


def masked(text: str, secrets: list[str]) -> str:
    """`text` with every secret value replaced by the mask."""
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text
