"""Finding 7: request bodies under the limits, on /v1 and on Django's side, over real sockets.

Each request is written by hand so a test can declare a length it never sends, stream chunks
past the limit, or stall; a server that waits for the body shows as a `TimeoutError` here.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]
_ANSWER_S = 10  # a guard against hanging, not a timing assertion


@pytest.fixture
def chat_key(owner: Any, make_app: Any) -> str:
    _, key = make_app(owner, mode="chat", slug="limits-chat")
    return str(key)


async def _exchange(url: str, head: str, parts: list[bytes]) -> tuple[int, dict[str, Any]]:
    """Send a request head and body parts (maybe not the whole body: the connection stays open);
    return the response status and JSON body."""
    where = urlsplit(url)
    reader, writer = await asyncio.open_connection(where.hostname, where.port)
    try:
        writer.write(head.replace("\n", "\r\n").encode() + b"\r\n")
        for part in parts:
            writer.write(part)
        await writer.drain()
        raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _ANSWER_S)
        lines = raw.decode().split("\r\n")
        status = int(lines[0].split()[1])
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if line)
        body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), _ANSWER_S)
        return status, json.loads(body)
    finally:
        writer.close()


def _head(
    path: str, length: int | None, key: str | None = None, kind: str = "application/json"
) -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {kind}"]
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    if key:
        lines.append(f"Authorization: Bearer {key}")
    return "\n".join(lines) + "\n"


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def test_v1_refuses_a_declared_huge_body_before_reading_it(live_url: str) -> None:
    status, body = await _exchange(live_url, _head("/v1/chat-messages", 2 * 2**30), [])
    assert status == 413
    assert (body["code"], body["limit"]) == ("request_too_large", 2 * 1024 * 1024)


async def test_v1_answers_a_bad_key_without_waiting_for_the_body(live_url: str) -> None:
    head = _head("/v1/chat-messages", 1000, key="app-not-a-key")
    status, body = await _exchange(live_url, head, [b"{"])
    assert (status, body["code"]) == (401, "invalid_api_key")


async def test_v1_stops_a_chunked_body_at_the_limit(
    live_url: str, chat_key: str, settings: Any
) -> None:
    settings.WEFT_MAX_BODY_BYTES = 4096
    head = _head("/v1/chat-messages", None, key=chat_key)
    status, body = await _exchange(live_url, head, [_chunk(b" " * 3000)] * 2)  # never ends
    assert (status, body["code"], body["limit"]) == (413, "request_too_large", 4096)


async def test_v1_refuses_a_10mb_json_body(live_url: str, chat_key: str) -> None:
    data = json.dumps({"query": "x" * 10 * 2**20, "user": "u"}).encode()
    head = _head("/v1/chat-messages", len(data), chat_key)
    # The answer comes before the body is sent (sending it could reset the connection first).
    status, body = await _exchange(live_url, head, [])
    assert (status, body["code"]) == (413, "request_too_large")


async def test_v1_drops_a_stalled_body(live_url: str, chat_key: str, settings: Any) -> None:
    settings.WEFT_BODY_IDLE_TIMEOUT_S = 0.3
    head = _head("/v1/chat-messages", 100, key=chat_key)
    status, body = await _exchange(live_url, head, [b'{"query": '])
    assert (status, body["code"]) == (408, "request_timeout")


async def test_django_refuses_a_declared_huge_body_before_reading_it(live_url: str) -> None:
    status, body = await _exchange(live_url, _head("/api/apps", 2 * 2**30), [])
    assert (status, body["code"], body["limit"]) == (413, "request_too_large", 2 * 1024 * 1024)


async def test_django_stops_a_chunked_body_at_the_limit(live_url: str, settings: Any) -> None:
    settings.WEFT_MAX_BODY_BYTES = 4096
    status, body = await _exchange(live_url, _head("/api/apps", None), [_chunk(b" " * 3000)] * 2)
    assert (status, body["code"]) == (413, "request_too_large")


async def test_django_drops_a_stalled_body(live_url: str, settings: Any) -> None:
    settings.WEFT_BODY_IDLE_TIMEOUT_S = 0.3
    status, body = await _exchange(live_url, _head("/api/apps", 100), [b"{"])
    assert (status, body["code"]) == (408, "request_timeout")


async def test_uploads_have_the_upload_limit(live_url: str, settings: Any) -> None:
    settings.WEFT_MAX_BODY_BYTES = 1000
    settings.WEFT_MAX_UPLOAD_BYTES = 5000
    form = "multipart/form-data; boundary=xx"
    status, body = await _exchange(live_url, _head("/api/training/datasets", 6000, kind=form), [])
    assert (status, body["limit"]) == (413, 5000)
    data = (
        b'--xx\r\nContent-Disposition: form-data; name="name"\r\n\r\n'
        + b"n" * 2000
        + b"\r\n--xx--\r\n"
    )
    status, _ = await _exchange(
        live_url, _head("/api/training/datasets", len(data), kind=form), [data]
    )
    assert status == 403  # under the upload limit, it reaches Django (which wants a session)
