"""Checking a server: connect, list its tools, store its status and tools; errors in words; and
how current a stored check is.

A check uses a pool of its own, closed when it is done: it says whether the server works now,
with its saved config, not whether an older session still answers."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.utils import timezone

from kernel.outbound import outbound_policy
from runtime.errors import McpTimeoutError, OutboundRefusedError, is_connection_refused
from runtime.mcp import HttpServer, McpPool, StdioServer
from runtime.outbound import OutboundPolicy
from tools.configs import masked, secret_values, server_config
from tools.models import Status, ToolServer
from tools.schemas import FreshnessName


@dataclass(frozen=True, slots=True)
class Checked:
    """What a check found: the tools, or why there are none."""

    tools: list[dict[str, Any]] | None
    error: str = ""


async def check_server(config: StdioServer | HttpServer, policy: OutboundPolicy) -> Checked:
    """Connect to a server and list its tools; its error in words when that fails."""
    missing = _missing_command(config)
    if missing:
        return Checked(None, missing)
    try:
        async with McpPool(policy=policy) as pool:
            tools = await pool.session(config).list_tools()
    except Exception as exc:
        return Checked(None, masked(error_words(exc, config), secret_values(config)))
    listed = [
        {"name": t.name, "description": t.description, "input_schema": dict(t.input_schema)}
        for t in tools
    ]
    return Checked(listed)


def _missing_command(config: StdioServer | HttpServer) -> str:
    if not isinstance(config, StdioServer):
        return ""
    path = config.env.get("PATH", os.environ.get("PATH", os.defpath))
    if shutil.which(config.command, path=path) is not None:
        return ""
    return (
        f"the command {config.command!r} was not found on this server "
        "(install it there, or give its full path)"
    )


def error_words(exc: BaseException, config: StdioServer | HttpServer) -> str:
    """Why a check failed, as a user reads it."""
    if isinstance(exc, OutboundRefusedError):
        return (
            f"refused by the outbound guard: {exc} (an instance admin may allow the host "
            "in WEFT_OUTBOUND_ALLOW)"
        )
    if isinstance(exc, McpTimeoutError):
        handshake = "handshake" in str(exc)
        seconds = config.connect_timeout_s if handshake else config.call_timeout_s
        return f"timed out after {seconds:g} s: {exc}" if seconds else f"timed out: {exc}"
    if is_connection_refused(exc):
        return f"connection refused: nothing answers at {config.label()} ({exc})"
    return str(exc) or type(exc).__name__


def do_refresh_servers(rows: Iterable[ToolServer]) -> None:
    """Check each server (all at once) and store its status, and its tools when listed."""
    rows = list(rows)
    policy = outbound_policy()
    configs: list[StdioServer | HttpServer | str] = []
    for row in rows:
        try:
            configs.append(server_config(row))
        except ValueError as exc:
            configs.append(f"{exc}: set its secrets again")
    found = async_to_sync(_check_all)(configs, policy)
    now = timezone.now()
    for row, checked in zip(rows, found, strict=True):
        row.checked_at = now
        row.status = Status.ERROR if checked.error else Status.OK
        row.status_message = checked.error
        fields = ["checked_at", "status", "status_message"]
        if checked.tools is not None:
            row.tools, row.listed_at = checked.tools, now
            fields += ["tools", "listed_at"]
        ToolServer.objects.filter(pk=row.pk).update(**{f: getattr(row, f) for f in fields})


async def _check_all(
    configs: list[StdioServer | HttpServer | str], policy: OutboundPolicy
) -> list[Checked]:
    async def one(config: StdioServer | HttpServer | str) -> Checked:
        if isinstance(config, str):
            return Checked(None, config)
        return await check_server(config, policy)

    return list(await asyncio.gather(*(one(c) for c in configs)))


def is_stale(row: ToolServer) -> bool:
    """Whether a server's cached check is older than WEFT_TOOL_LIST_TTL_S (or never made)."""
    return row.checked_at is None or _past_ttl(row.checked_at)


def freshness(row: ToolServer) -> FreshnessName:
    """How current a server's stored tools are: never listed by any check, listed by a check
    older than WEFT_TOOL_LIST_TTL_S (stale: the last check failed, or one is due), or fresh."""
    if row.listed_at is None:
        return "never_listed"
    return "stale" if _past_ttl(row.listed_at) else "fresh"


def _past_ttl(at: datetime) -> bool:
    return timezone.now() - at > timedelta(seconds=settings.WEFT_TOOL_LIST_TTL_S)
