"""How to reach an MCP server: a command run over stdio, or a streamable HTTP URL."""

from __future__ import annotations

import hashlib
import os
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

# A name `env -i NAME=value` passes on as it is (no "=" in it).
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # None: the pool's own limits (an admin may set them per server)
    connect_timeout_s: float | None = Field(
        None, gt=0, le=600, description="Start or reach it and complete the handshake."
    )
    call_timeout_s: float | None = Field(
        None, gt=0, le=3600, description="A call or listing that names no timeout of its own."
    )

    @cached_property
    def key(self) -> str:
        """A hash of the whole config: two equal configs share one pooled session."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


class StdioServer(_Config):
    """A server the worker starts as a child process and talks to over its stdin and stdout.

    The child gets a clean environment: only `env`, plus PATH (the worker's own unless `env`
    sets it). Nothing else of the worker's environment (its secrets) reaches it."""

    transport: Literal["stdio"] = "stdio"
    command: str = Field(min_length=1, description="The program to run (a path or a name on PATH).")
    args: tuple[str, ...] = Field((), description="Its command-line arguments.")
    env: dict[EnvName, str] = Field(
        default_factory=dict, description="Its environment (PATH is added when not given)."
    )
    cwd: str | None = Field(None, description="Its working directory (the worker's when empty).")

    def label(self) -> str:
        """How errors name the server: its command line (shortened)."""
        line = " ".join([os.path.basename(self.command), *self.args])
        return line if len(line) <= 80 else line[:77] + "..."


class HttpServer(_Config):
    """A server reached over MCP's streamable HTTP transport (the SSRF guard checks its URL)."""

    transport: Literal["streamable_http"] = "streamable_http"
    url: str = Field(min_length=1, pattern=r"^https?://", description="Its MCP endpoint.")
    headers: dict[str, str] = Field(
        default_factory=dict, description="Sent with every request (e.g. Authorization)."
    )

    def label(self) -> str:
        """How errors name the server: its URL."""
        return self.url


ServerConfig = Annotated[StdioServer | HttpServer, Field(discriminator="transport")]
SERVER_CONFIG: TypeAdapter[StdioServer | HttpServer] = TypeAdapter(ServerConfig)
