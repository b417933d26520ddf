"""The HTTP request node's plumbing: JSON bodies with references, URL checks, bounded reads, and
httpx's exceptions turned into the typed errors a node's error strategy acts on."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from runtime.errors import (
    HttpBodyError,
    HttpConnectionError,
    HttpRequestError,
    HttpResponseTooLargeError,
    HttpTimeoutError,
    HttpTooManyRedirectsError,
    HttpUrlError,
)
from runtime.variables import REFERENCE_RE, to_text


def url_problem(url: str) -> str | None:
    """Why `url` cannot be requested (in words), or None for an http(s) URL with a host."""
    try:
        parsed = httpx.URL(url.strip())
    except httpx.InvalidURL:
        return "is not a valid URL"
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return "must start with http:// or https:// and name a host"
    return None


def _json_pieces(template: str) -> Iterator[tuple[str, tuple[str, ...] | None, bool]]:
    """The template as (literal text, reference or None, whether the reference sits inside a
    JSON string): a scan of the literal text between references keeps track of the quotes."""
    in_string = escaped = False
    pos = 0
    for match in [*REFERENCE_RE.finditer(template), None]:
        end = match.start() if match else len(template)
        literal = template[pos:end]
        for char in literal:
            if escaped:
                escaped = False
            elif char == "\\" and in_string:
                escaped = True
            elif char == '"':
                in_string = not in_string
        ref = tuple(match.group(1).split(".")) if match else None
        yield literal, ref, in_string
        pos = match.end() if match else end


def render_json(template: str, value: Callable[[tuple[str, ...]], Any]) -> str:
    """The JSON `template` with each reference filled in: inside a string as escaped text,
    elsewhere as the value's own JSON (a number stays a number, a text is quoted), so no
    value can break the document or add keys to it. HttpBodyError if the result is not JSON."""
    parts: list[str] = []
    for literal, ref, in_string in _json_pieces(template):
        parts.append(literal)
        if ref is None:
            continue
        found = value(ref)
        if in_string:
            parts.append(json.dumps(to_text(found), ensure_ascii=False)[1:-1])
        else:
            parts.append(json.dumps(found, ensure_ascii=False, default=str))
    text = "".join(parts)
    try:
        json.loads(text)
    except ValueError as exc:
        raise HttpBodyError(f"the JSON body is not valid JSON: {exc}") from None
    return text


def json_template_problem(template: str) -> str | None:
    """Why a JSON body template can never render to JSON (in words), or None."""
    if not template.strip():
        return "write the JSON to send, or pick another body type"
    try:
        render_json(template, lambda ref: None)
    except HttpBodyError as exc:
        return str(exc).removeprefix("the JSON body ")
    return None


async def read_bounded(response: httpx.Response, limit: int) -> bytes:
    """The response body, refused past `limit` bytes (decoded size) before it is all read."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> HttpResponseTooLargeError:
    return HttpResponseTooLargeError(
        f"the response body is larger than {limit} bytes (the node's limit); it was not read"
    )


def decode_text(content: bytes, response: httpx.Response) -> str:
    """The body as text, in the charset the response names (UTF-8 otherwise)."""
    charset = response.charset_encoding or "utf-8"
    try:
        return content.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return content.decode("utf-8", errors="replace")


def parse_json(text: str, response: httpx.Response) -> Any:
    """The body parsed when the response says it is JSON (application/json, …+json), else None;
    a body that says so but does not parse is None too (the text is still in `body`)."""
    kind = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != "application/json" and not kind.endswith("+json"):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def header_dict(headers: httpx.Headers) -> dict[str, str]:
    """Response headers as one dict, names in lower case; repeated headers joined by commas."""
    return {name.lower(): value for name, value in headers.items()}


@asynccontextmanager
async def typed_errors(url: httpx.URL, timeout: httpx.Timeout) -> AsyncIterator[None]:
    """Turn httpx's exceptions into the node's typed errors, naming the host, never a body."""
    host = url.host
    try:
        yield
    except httpx.TimeoutException as exc:
        phase = "connect" if isinstance(exc, httpx.ConnectTimeout) else "answer"
        seconds = timeout.connect if phase == "connect" else timeout.read
        raise HttpTimeoutError(f"{host} did not {phase} within {seconds:g} s") from None
    except httpx.TooManyRedirects:
        raise HttpTooManyRedirectsError(f"{host} redirected too many times") from None
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise HttpUrlError(f"cannot request {host}: {exc}") from None
    except httpx.TransportError as exc:
        reason = str(exc) or type(exc).__name__
        raise HttpConnectionError(f"could not reach {host}: {reason}") from None
    except httpx.HTTPError as exc:
        raise HttpRequestError(f"the request to {host} failed: {exc}") from None
