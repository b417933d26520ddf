"""HTTP request: Weft's rows and typed auth against Dify's `key:value` lines and api-key block.

Weft's auth names an environment variable that holds the secret; Dify's holds the key itself or
an `{{#env.NAME#}}` reference, which is what an export writes. An imported key written inline
becomes a secret environment variable of the app (and a warning says its name), so it is never
left in a node's config.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from builder.dsl.nodes.base import (
    Data,
    NodeCtx,
    NodeMapping,
    as_dict,
    as_list,
    filled,
    number,
    register,
    text,
)

_ENV_REF = re.compile(r"^\{\{#env\.([A-Za-z_][A-Za-z0-9_]*)#\}\}$")
_BODY_DATA = ("json", "raw-text")


def _lines(rows: Any) -> str:
    return "\n".join(f"{text(as_dict(r).get('key'))}:{text(as_dict(r).get('value'))}" for r in rows)


def _rows(value: Any) -> list[Data]:
    """Dify's `key:value` lines (or a list of rows) as Weft's key/value rows."""
    if isinstance(value, list):
        return [
            {"key": text(as_dict(r).get("key")), "value": text(as_dict(r).get("value"))}
            for r in value
        ]
    rows = []
    for line in text(value).splitlines():
        if not line.strip():
            continue
        key, _, val = line.partition(":")
        rows.append({"key": key.strip(), "value": val.strip()})
    return rows


def _auth_to_dify(auth: Mapping[str, Any]) -> Data:
    kind = text(auth.get("type"), "none")
    if kind == "none":
        return {"type": "no-auth", "config": None}
    name = text(auth.get("secret"))
    secret = "{{#env." + name + "#}}" if name else ""
    if kind == "basic":
        config = {"type": "basic", "api_key": f"{text(auth.get('username'))}:{secret}"}
    elif kind == "bearer":
        config = {"type": "bearer", "api_key": secret, "header": "Authorization"}
    else:
        config = {"type": "custom", "api_key": secret, "header": text(auth.get("header"))}
    return {"type": "api-key", "config": config}


def _secret_name(key: str, ctx: NodeCtx) -> str:
    """The env variable an inline key moves to (named for the node), or the one referenced."""
    found = _ENV_REF.match(key)
    if not key:
        return ""
    if found:
        return found.group(1)
    name = re.sub(r"\W", "_", f"HTTP_{ctx.node_id}_SECRET").upper()
    ctx.add_secret(name, key)
    ctx.warn(f"its key, written in the node, is the secret env variable {name} now")
    return name


def _auth_from_dify(block: Any, ctx: NodeCtx) -> Data:
    auth = as_dict(block)
    config = as_dict(auth.get("config"))
    out = {"type": "none", "username": "", "header": "X-API-Key", "secret": ""}
    if auth.get("type") != "api-key" or not config:
        return out
    kind, key = text(config.get("type"), "bearer"), text(config.get("api_key"))
    if kind == "basic":
        user, _, password = key.partition(":")
        return {**out, "type": "basic", "username": user, "secret": _secret_name(password, ctx)}
    if kind == "custom":
        header = text(config.get("header")) or "X-API-Key"
        return {**out, "type": "api-key", "header": header, "secret": _secret_name(key, ctx)}
    return {**out, "type": "bearer", "secret": _secret_name(key, ctx)}


def _body_to_dify(body: Mapping[str, Any]) -> Data:
    kind = text(body.get("type"), "none")
    if kind in _BODY_DATA:
        data = [{"key": "", "type": "text", "value": text(body.get("data"))}]
    elif kind == "x-www-form-urlencoded":
        data = [
            {"key": r["key"], "type": "text", "value": r["value"]} for r in _rows(body.get("form"))
        ]
    else:
        data = []
    return {"type": kind, "data": data}


def _body_from_dify(block: Any, ctx: NodeCtx) -> Data:
    body = as_dict(block)
    kind = text(body.get("type"), "none")
    items = body.get("data")
    rows = [as_dict(i) for i in as_list(items)]
    if any(r.get("type") == "file" for r in rows):
        ctx.warn("Weft sends no files: the body's file fields are left out")
        rows = [r for r in rows if r.get("type") != "file"]
    if kind in _BODY_DATA:
        data = (
            text(items) if isinstance(items, str) else "".join(text(r.get("value")) for r in rows)
        )
        return {"type": kind, "data": data, "form": []}
    if kind in ("x-www-form-urlencoded", "form-data"):
        if kind == "form-data":
            ctx.warn("its form-data body is sent URL-encoded (Weft sends no multipart forms)")
        form = [{"key": text(r.get("key")), "value": text(r.get("value"))} for r in rows]
        return {"type": "x-www-form-urlencoded", "data": "", "form": form}
    if kind != "none":
        ctx.warn(f"Weft sends no {kind} body: the request has none")
    return {"type": "none", "data": "", "form": []}


def _seconds(value: Any, default: float, most: float) -> float:
    found = number(value, None)
    return default if found is None or found <= 0 else min(found, most)


def _to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    c = filled("http_request", config)
    timeout = as_dict(c["timeout"])
    return {
        "method": text(c["method"], "GET").lower(),
        "url": text(c.get("url")),
        "authorization": _auth_to_dify(as_dict(c["auth"])),
        "headers": _lines(as_list(c["headers"])),
        "params": _lines(as_list(c["params"])),
        "body": _body_to_dify(as_dict(c["body"])),
        "timeout": {
            "connect": timeout.get("connect"),
            "read": timeout.get("read"),
            "write": timeout.get("read"),
        },
        "ssl_verify": True,
        "variables": [],
    }


def _from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    c = filled("http_request", {})
    timeout = as_dict(data.get("timeout"))
    if data.get("ssl_verify") is False:
        ctx.warn("Weft always checks the server's certificate (ssl_verify off is ignored)")
    return {
        **c,
        "method": text(data.get("method"), "get").upper(),
        "url": text(data.get("url")),
        "headers": _rows(data.get("headers")),
        "params": _rows(data.get("params")),
        "body": _body_from_dify(data.get("body"), ctx),
        "auth": _auth_from_dify(data.get("authorization"), ctx),
        "timeout": {
            "connect": _seconds(timeout.get("connect", timeout.get("max_connect_timeout")), 10, 60),
            "read": _seconds(timeout.get("read", timeout.get("max_read_timeout")), 60, 600),
        },
    }


register(
    NodeMapping(
        "http_request",
        "http-request",
        _to_dify,
        _from_dify,
        weft_only=(
            "follow_redirects",
            "max_redirects",
            "fail_on_error_status",
            "max_response_bytes",
        ),
    )
)
