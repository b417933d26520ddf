"""A 2 GB upload is refused from its headers, before a byte of it is read (kernel/bodies.py
guards every multipart request under WEFT_MAX_UPLOAD_BYTES)."""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_upload_of_two_gigabytes_is_refused_before_it_is_read(live_url: str, settings: Any) -> None:
    host, port = urlsplit(live_url).hostname, urlsplit(live_url).port
    head = (
        "POST /api/knowledge-bases/00000000-0000-0000-0000-000000000000/documents HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "Content-Type: multipart/form-data; boundary=xyz\r\n"
        f"Content-Length: {2 * 1024**3}\r\n\r\n"
    )
    with socket.create_connection((str(host), int(port or 80)), timeout=10) as sock:
        # only the first bytes of the body are ever sent: the answer comes from the headers
        sock.sendall(head.encode() + b"--xyz\r\n")
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            piece = sock.recv(65536)
            if not piece:
                break
            reply += piece
    status_line, _, rest = reply.partition(b"\r\n")
    assert status_line.split()[1] == b"413"
    body = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert body["code"] == "request_too_large"
    assert body["limit"] == settings.WEFT_MAX_UPLOAD_BYTES
