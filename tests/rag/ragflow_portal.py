"""Helpers for the Django-side RAGFlow tests: offer a RAGFlow, count what it was sent."""

from __future__ import annotations

import copy
import socket
from typing import Any

from tests.rag.ragflow_server import RagflowServer


def use_ragflow(settings: Any, base_url: str, api_key: str) -> None:
    """Offer RAGFlow at `base_url` (as RAGFLOW_BASE_URL and RAGFLOW_API_KEY would)."""
    backends = copy.deepcopy(settings.RAG_BACKENDS)
    backends["ragflow"]["OPTIONS"] = {"base_url": base_url, "api_key": api_key}
    settings.RAG_BACKENDS = backends


def dead_url() -> str:
    """The URL of a port nothing listens on."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{free.getsockname()[1]}"


def sent(server: RagflowServer, method: str, suffix: str) -> int:
    """How many requests the server got of `method` on a path ending with `suffix`."""
    return sum(1 for m, path in server.requests if m == method and path.endswith(suffix))
