"""RAG fixtures: the real embedded model (loaded once) and every backend of the contract suite."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag import ingestion_remote
from rag.backends.base import Backend
from rag.backends.embedded import EmbeddedBackend
from rag.backends.memory import MemoryBackend
from rag.backends.milvus import MilvusBackend
from rag.backends.ragflow import RagflowBackend
from rag.embeddings import Embedder, MiniLM, default_embedder
from tests.rag.ragflow_portal import use_ragflow
from tests.rag.ragflow_server import RagflowServer

BACKENDS = ["memory", "embedded", "milvus", "ragflow"]


@pytest.fixture(scope="session")
def embedder() -> MiniLM:
    """The embedded all-MiniLM-L6-v2, shared by the session's tests."""
    return default_embedder()


@pytest.fixture(scope="session")
def ragflow_server(embedder: MiniLM) -> Iterator[RagflowServer]:
    """The RAGFlow protocol server, embedding with the real model; a dataset per test."""
    with RagflowServer(embedder.embed) as server:
        yield server


def make_backend(
    kind: str, embedder: Embedder, directory: Path, ragflow: RagflowServer | None = None
) -> Backend:
    """A fresh backend of `kind` (the embedded and milvus-lite ones store under `directory`;
    the RAGFlow one is a new dataset of `ragflow`, which embeds with its own model)."""
    if kind == "memory":
        return MemoryBackend(embedder)
    if kind == "milvus":
        directory.mkdir(parents=True, exist_ok=True)
        return MilvusBackend(str(directory / "milvus.db"), "kb", embedder)
    if kind == "ragflow":
        if ragflow is None:
            raise ValueError("a RAGFlow backend needs the ragflow_server fixture")
        name = f"kb_{uuid.uuid4().hex}"
        return RagflowBackend.create(name, base_url=ragflow.base_url, api_key=ragflow.api_key)
    return EmbeddedBackend(directory, embedder)


@pytest.fixture(params=BACKENDS)
def backend_kind(request: pytest.FixtureRequest) -> str:
    """Each backend's name in turn."""
    return str(request.param)


@pytest.fixture
def backend(
    backend_kind: str, embedder: MiniLM, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Backend]:
    """Each backend in turn, empty."""
    server = request.getfixturevalue("ragflow_server") if backend_kind == "ragflow" else None
    made = make_backend(backend_kind, embedder, tmp_path / "kb", server)
    yield made
    made.close()


@pytest.fixture
def kb_dir(settings: object, tmp_path: Path) -> Path:
    """A fresh WEFT_DATA_DIR for the knowledge bases of a Django-side test."""
    data = tmp_path / "data"
    data.mkdir()
    settings.DATA_DIR = data  # type: ignore[attr-defined]  # pytest-django's settings
    return data


@pytest.fixture
def ragflow(
    ragflow_server: RagflowServer, settings: Any, kb_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RagflowServer]:
    """The protocol server, emptied and offered as this server's RAGFlow (Django-side tests);
    the worker polls it often."""
    with ragflow_server.api.lock:
        ragflow_server.api.delete_datasets({"ids": None})  # what earlier tests left
    ragflow_server.requests.clear()
    use_ragflow(settings, ragflow_server.base_url, ragflow_server.api_key)
    monkeypatch.setattr(ingestion_remote, "POLL_S", 0.01)
    yield ragflow_server
    ragflow_server.api.running.set()  # a test that held parsing lets it go
