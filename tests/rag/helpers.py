"""Helpers for RAG tests: ingest small texts, count what the embedder is asked to embed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rag.backends.base import Backend
from rag.chunking import ChunkingConfig, GeneralChunking
from rag.embeddings import MiniLM, Vectors
from rag.ingest import Progress, Upload, ingest
from rag.types import Document, Metadata

FACTS: dict[str, tuple[str, str, Metadata]] = {
    "cats": (
        "cats.txt",
        "Cats are small furry animals. A cat purrs when it is content.",
        {"kind": "animal", "year": 2021},
    ),
    "rockets": (
        "rockets.txt",
        "A rocket engine burns propellant and expels exhaust to produce thrust.",
        {"kind": "space", "year": 2023},
    ),
    "bread": (
        "bread.txt",
        "Sourdough bread rises with wild yeast and lactic acid bacteria.",
        {"kind": "food", "year": 2022},
    ),
}


def add_texts(
    backend: Backend,
    embedder: MiniLM,
    folder: Path,
    texts: dict[str, tuple[str, str, Metadata]] = FACTS,
    config: ChunkingConfig | None = None,
) -> list[Progress]:
    """Ingest {document id: (file name, text, metadata)} through the real ingestion path."""
    folder.mkdir(parents=True, exist_ok=True)
    uploads = []
    for document_id, (name, text, metadata) in texts.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        uploads.append(Upload(Document(document_id, name, metadata), path))
    return ingest(
        backend,
        uploads,
        config or GeneralChunking(),
        embedder.token_ids,
        model_id=embedder.model_id,
    )


class CountingEmbedder:
    """The real embedder, counting the texts it embeds."""

    def __init__(self, inner: MiniLM) -> None:
        self.inner = inner
        self.model_id, self.dimension, self.max_tokens = (
            inner.model_id,
            inner.dimension,
            inner.max_tokens,
        )
        self.embedded: list[str] = []

    def token_ids(self, text: str) -> list[int]:
        """The inner embedder's token ids."""
        return self.inner.token_ids(text)

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed and count."""
        self.embedded.extend(texts)
        return self.inner.embed(texts)

    def embed_query(self, query: str) -> Vectors:
        """Embed a query (not counted)."""
        return self.inner.embed_query(query)
