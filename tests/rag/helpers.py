"""Helpers for RAG tests: ingest small texts, count what the embedder is asked to embed."""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from pathlib import Path

import pytest

from rag.backends.base import Backend, ParseProgress, ParseState, ServerParsing
from rag.chunking import ChunkingConfig, GeneralChunking
from rag.embeddings import MiniLM, Vectors
from rag.ingest import Progress, Stage, Upload, ingest
from rag.types import Document, Metadata

PARSE_WAIT_SECONDS = 60  # a safety net against a parse that never ends, not a speed check
FINISHED = {ParseState.DONE, ParseState.FAIL, ParseState.CANCEL}

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
    """Ingest {document id: (file name, text, metadata)} through the real ingestion path.

    A backend whose server parses files gets each file uploaded and is waited on until parsed.
    """
    folder.mkdir(parents=True, exist_ok=True)
    uploads = []
    for document_id, (name, text, metadata) in texts.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        uploads.append(Upload(Document(document_id, name, metadata), path))
    if isinstance(backend, ServerParsing):
        for upload in uploads:
            backend.upload(upload.document, upload.path)
        parsed = wait_parsed(backend, [u.document.id for u in uploads])
        return [Progress(p.document_id, _STAGES[p.state], p.chunks, p.chunks) for p in parsed]
    return ingest(
        backend,
        uploads,
        config or GeneralChunking(),
        embedder.token_ids,
        model_id=embedder.model_id,
    )


_STAGES = {ParseState.DONE: Stage.INDEXED, ParseState.FAIL: Stage.FAILED}


def wait_parsed(backend: ServerParsing, document_ids: Collection[str]) -> list[ParseProgress]:
    """Poll the server until every document is parsed, failed or cancelled."""
    deadline = time.monotonic() + PARSE_WAIT_SECONDS
    while True:
        progress = backend.parse_progress(document_ids)
        if all(p.state in FINISHED for p in progress) or time.monotonic() > deadline:
            return progress
        time.sleep(0.02)


def skip_unless_weft_chunks(backend: Backend) -> None:
    """Skip a test of Weft's own chunks on a backend whose server chunks and embeds the files."""
    if isinstance(backend, ServerParsing):
        pytest.skip(f"{type(backend).__name__} parses, chunks and embeds files on its server")


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
