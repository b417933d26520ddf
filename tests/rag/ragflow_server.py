"""A RAGFlow server for tests: RAGFlow 0.22's HTTP API, as ragflow-sdk uses it, over memory.

A real HTTP server (threaded, on 127.0.0.1, a free port) answering under `/api/v1` with RAGFlow's
`{code, data, message}` envelopes, always with HTTP 200, as RAGFlow does: a success is
`{"code": 0, "data": ...}`, a refusal `{"code": N, "message": ...}`. The API key goes in
`Authorization: Bearer <key>`; a missing header gets RAGFlow's own answer (code 0, data false)
and a wrong key code 109. Documents are uploaded as multipart `file` fields. What the endpoints
do is in `ragflow_api`; `RagflowServer` runs them:

    with RagflowServer(embedder.embed) as server:
        RAGFlow(api_key=server.api_key, base_url=server.base_url)
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.rag.ragflow_api import RagflowApi
from tests.rag.ragflow_data import ApiError, Embed

Handler = Callable[..., Any]
_ID = "([^/]+)"


def _routes(api: RagflowApi) -> list[tuple[str, re.Pattern[str], Handler, str]]:
    """(method, path, endpoint, what the endpoint reads: json, query, files or nothing)."""
    table: list[tuple[str, str, Handler, str]] = [
        ("POST", "/datasets", api.create_dataset, "json"),
        ("GET", "/datasets", api.list_datasets, "query"),
        ("DELETE", "/datasets", api.delete_datasets, "json"),
        ("POST", f"/datasets/{_ID}/documents", api.upload, "files"),
        ("GET", f"/datasets/{_ID}/documents", api.list_documents, "query"),
        ("DELETE", f"/datasets/{_ID}/documents", api.delete_documents, "json"),
        ("PUT", f"/datasets/{_ID}/documents/{_ID}", api.update_document, "json"),
        ("POST", f"/datasets/{_ID}/chunks", api.parse, "json"),
        ("DELETE", f"/datasets/{_ID}/chunks", api.stop_parsing, "json"),
        ("GET", f"/datasets/{_ID}/documents/{_ID}/chunks", api.list_chunks, "query"),
        ("POST", f"/datasets/{_ID}/documents/{_ID}/chunks", api.add_chunk, "json"),
        ("DELETE", f"/datasets/{_ID}/documents/{_ID}/chunks", api.delete_chunks, "json"),
        ("PUT", f"/datasets/{_ID}/documents/{_ID}/chunks/{_ID}", api.update_chunk, "json"),
        ("POST", "/retrieval", api.retrieve, "json"),
    ]
    return [(m, re.compile(f"/api/v1{p}"), h, reads) for m, p, h, reads in table]


class RagflowServer:
    """The server, started on entering and stopped on leaving a `with` block."""

    def __init__(
        self, embed: Embed, *, api_key: str = "ragflow-test-key", step_seconds: float = 0.02
    ) -> None:
        self.api = RagflowApi(embed, step_seconds)
        self.api_key = api_key
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, in order
        self._routes = _routes(self.api)
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """What ragflow-sdk takes as `base_url` (it adds /api/v1)."""
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> RagflowServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()

    def answer(
        self, method: str, target: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, Any] | None]:
        """(HTTP status, JSON answer) for one request; None for RAGFlow's HTML 404 page."""
        url = urlsplit(target)
        self.requests.append((method, url.path))
        refused = self._check_key(headers.get("Authorization"))
        if refused is not None:
            return 200, refused
        for route_method, pattern, endpoint, reads in self._routes:
            match = pattern.fullmatch(url.path)
            if match and route_method == method:
                return 200, self._run(endpoint, match.groups(), reads, url.query, headers, body)
        return 404, None

    def _check_key(self, header: str | None) -> dict[str, Any] | None:
        if not header:
            return {"code": 0, "data": False, "message": "`Authorization` can't be empty"}
        parts = header.split()
        if len(parts) < 2:
            return {"code": 0, "data": False, "message": "Please check your authorization format."}
        if parts[1] != self.api_key:
            return {
                "code": 109,
                "data": False,
                "message": "Authentication error: API key is invalid!",
            }
        return None

    def _run(
        self,
        endpoint: Handler,
        ids: tuple[str, ...],
        reads: str,
        query: str,
        headers: Any,
        body: bytes,
    ) -> dict[str, Any]:
        try:
            if reads == "files":
                argument: Any = _files(headers.get("Content-Type", ""), body)
            elif reads == "query":
                argument = dict(parse_qsl(query))
            else:
                argument = json.loads(body or b"{}") or {}
            with self.api.lock:
                data = endpoint(*ids, argument)
        except ApiError as exc:
            return {"code": exc.code, "message": exc.message}
        answer: dict[str, Any] = {"code": 0}
        if data is not None:
            answer["data"] = data
        if endpoint == self.api.list_datasets:
            answer["total_datasets"] = len(self.api.datasets)
        return answer


def _files(content_type: str, body: bytes) -> list[tuple[str, bytes]]:
    """The `file` fields of a multipart/form-data body as (file name, bytes)."""
    if not content_type.startswith("multipart/form-data"):
        return []
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    found = []
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            found.append(
                (part.get_filename() or "", payload if isinstance(payload, bytes) else b"")
            )
    return found


def _handler_for(server: RagflowServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, answer = server.answer(self.command, self.path, self.headers, body)
            payload = json.dumps(answer).encode() if answer is not None else b"<h1>Not Found</h1>"
            self.send_response(status)
            self.send_header(
                "Content-Type", "application/json" if answer is not None else "text/html"
            )
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # the base's name
            """Quiet: tests read `server.requests` instead."""

    return Handler
