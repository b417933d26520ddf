"""RAG fixtures: the real embedded model (loaded once) and every backend of the contract suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.backends.base import Backend
from rag.backends.embedded import EmbeddedBackend
from rag.backends.memory import MemoryBackend
from rag.embeddings import Embedder, MiniLM, default_embedder

BACKENDS = ["memory", "embedded"]


@pytest.fixture(scope="session")
def embedder() -> MiniLM:
    """The embedded all-MiniLM-L6-v2, shared by the session's tests."""
    return default_embedder()


def make_backend(kind: str, embedder: Embedder, directory: Path) -> Backend:
    """A fresh backend of `kind` (the embedded one stores under `directory`)."""
    if kind == "memory":
        return MemoryBackend(embedder)
    return EmbeddedBackend(directory, embedder)


@pytest.fixture(params=BACKENDS)
def backend_kind(request: pytest.FixtureRequest) -> str:
    """Each backend's name in turn."""
    return str(request.param)


@pytest.fixture
def backend(backend_kind: str, embedder: MiniLM, tmp_path: Path) -> Iterator[Backend]:
    """Each backend in turn, empty."""
    made = make_backend(backend_kind, embedder, tmp_path / "kb")
    yield made
    made.close()


@pytest.fixture
def kb_dir(settings: object, tmp_path: Path) -> Path:
    """A fresh WEFT_DATA_DIR for the knowledge bases of a Django-side test."""
    data = tmp_path / "data"
    data.mkdir()
    settings.DATA_DIR = data  # type: ignore[attr-defined]  # pytest-django's settings
    return data
