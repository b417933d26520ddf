"""The embedded backend: chunks, vectors and documents in one SQLite file under a directory.

Every change is one SQLite transaction, so a batch of chunks is stored whole or not at all and
a worker that dies mid-ingestion leaves nothing half-written. The index is rebuilt in memory
from the file when the backend opens, and again when another process has written to it (SQLite's
`data_version`), so a web process searches what the worker process has indexed.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rag import retrieval
from rag.backends._local import LocalBackend
from rag.backends._sqlite import SqliteStore
from rag.backends.base import Capabilities
from rag.embeddings import Embedder, default_embedder


class EmbeddedBackend(LocalBackend):
    """A knowledge base stored under `directory` (created if missing)."""

    capabilities: ClassVar[Capabilities] = Capabilities(persistent=True)

    def __init__(
        self,
        directory: Path,
        embedder: Embedder | None = None,
        fusion: retrieval.Fusion = retrieval.Fusion.CONVEX,
    ) -> None:
        embedder = embedder or default_embedder()
        store = SqliteStore(
            Path(directory) / "index.sqlite3", embedder.model_id, embedder.dimension
        )
        super().__init__(store, embedder, fusion)
