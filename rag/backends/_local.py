"""The backend protocol over a `ChunkIndex` in this process, with a store that keeps it (or not).

The memory backend's store keeps nothing; the embedded backend's writes each change to SQLite
before the index takes it, so the two behave the same and the contract suite runs on both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from rag import errors, retrieval
from rag.backends._index import ChunkIndex
from rag.backends._search import search
from rag.backends.base import Capabilities
from rag.embeddings import Embedder, default_embedder
from rag.types import Chunk, Document, Hit, SearchRequest


class Store(Protocol):
    """Where a local backend keeps its changes; every method writes one transaction."""

    def load(self, index: ChunkIndex) -> None:
        """Fill an empty index with what is stored."""

    def changed_elsewhere(self) -> bool:
        """Whether another process has written since this one last loaded or wrote."""

    def put_document(self, document: Document) -> None:
        """Write a document's record."""

    def delete_document(self, document_id: str) -> None:
        """Delete a document's record and chunks."""

    def add_chunks(self, chunks: Sequence[Chunk], vectors: npt.NDArray[np.float32]) -> None:
        """Write new chunks with their vectors."""

    def remove_chunks(self, chunk_ids: Collection[str]) -> None:
        """Delete chunks by id."""

    def put_chunk(self, chunk: Chunk, vector: npt.NDArray[np.float32] | None) -> None:
        """Write a changed chunk (and its vector when given)."""

    def close(self) -> None:
        """Let go of the store's files."""


class NullStore:
    """Keeps nothing: the memory backend's store."""

    def load(self, index: ChunkIndex) -> None:
        """Nothing is stored."""

    def changed_elsewhere(self) -> bool:
        """No other process shares this store."""
        return False

    def put_document(self, document: Document) -> None:
        """Nothing to write."""

    def delete_document(self, document_id: str) -> None:
        """Nothing to delete."""

    def add_chunks(self, chunks: Sequence[Chunk], vectors: npt.NDArray[np.float32]) -> None:
        """Nothing to write."""

    def remove_chunks(self, chunk_ids: Collection[str]) -> None:
        """Nothing to delete."""

    def put_chunk(self, chunk: Chunk, vector: npt.NDArray[np.float32] | None) -> None:
        """Nothing to write."""

    def close(self) -> None:
        """Nothing to close."""


class LocalBackend:
    """Every `Backend` method over an in-process index and a store."""

    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(
        self,
        store: Store,
        embedder: Embedder | None = None,
        fusion: retrieval.Fusion = retrieval.Fusion.CONVEX,
    ) -> None:
        self._embedder = embedder or default_embedder()
        self._fusion = fusion
        self._store = store
        self._index = self._load()

    def _load(self) -> ChunkIndex:
        index = ChunkIndex(self._embedder, self._fusion)
        self._store.load(index)
        return index

    def _current(self) -> ChunkIndex:
        if self._store.changed_elsewhere():
            self._index = self._load()
        return self._index

    def put_document(self, document: Document) -> None:
        """Add or replace a document's record (its chunks are left as they are)."""
        self._store.put_document(document)
        self._current().put_document(document)

    def get_document(self, document_id: str) -> Document:
        """The document's record; NotFoundError if there is none."""
        return self._current().document(document_id)

    def list_documents(self) -> list[Document]:
        """Every document's record, in the order they were added."""
        return list(self._current().documents.values())

    def set_document_enabled(self, document_id: str, enabled: bool) -> None:
        """Keep a document but leave it out of searches (or bring it back)."""
        document = self._current().document(document_id)
        self.put_document(_replace(document, enabled=enabled))

    def delete_document(self, document_id: str) -> None:
        """Remove a document with its chunks and vectors."""
        index = self._current()
        index.document(document_id)
        self._store.delete_document(document_id)
        index.drop_document(document_id)

    def chunk_ids(self, document_id: str) -> set[str]:
        """Ids of the document's stored chunks."""
        return set(self._current().by_document.get(document_id, ()))

    def add_chunks(self, chunks: Sequence[Chunk]) -> None:
        """Embed and store the chunks not stored yet, all or none."""
        index = self._current()
        fresh = index.new_chunks(chunks)
        if not fresh:
            return
        vectors = self._embedder.embed([c.text for c in fresh])
        self._store.add_chunks(fresh, vectors)
        index.append(fresh, vectors)

    def remove_chunks(self, chunk_ids: Collection[str]) -> None:
        """Remove chunks by id (unknown ids are ignored)."""
        self._store.remove_chunks(chunk_ids)
        self._current().remove(chunk_ids)

    def finish_document(self, document_id: str, content_hash: str) -> Document:
        """Mark a document indexed with the hash of what its chunks were made from."""
        index = self._current()
        document = index.finish(document_id, content_hash)
        self._store.put_document(document)
        return document

    def list_chunks(self, document_id: str) -> list[Chunk]:
        """A document's chunks in order."""
        index = self._current()
        index.document(document_id)
        chunks = (index.chunk(i) for i in index.by_document[document_id])
        return sorted(chunks, key=lambda c: c.position)

    def update_chunk(
        self, chunk_id: str, *, text: str | None = None, enabled: bool | None = None
    ) -> Chunk:
        """Change a chunk's text (embedded again) or enabled flag; NotFoundError if unknown."""
        index = self._current()
        chunk = index.chunk(chunk_id)
        vector = None
        if text is not None:
            if not text.strip():
                raise errors.SettingsError("text", "must not be empty")
            chunk = _replace(chunk, text=text)
            vector = self._embedder.embed([text])[0]
        if enabled is not None:
            chunk = _replace(chunk, enabled=enabled)
        self._store.put_chunk(chunk, vector)
        index.replace(chunk, vector)
        return chunk

    def search(self, request: SearchRequest) -> list[Hit]:
        """The best chunks for the request, best first (see `rag.retrieval`)."""
        return search(self._current(), request)

    def close(self) -> None:
        """Let go of the store's files."""
        self._store.close()


_Item = TypeVar("_Item", Document, Chunk)


def _replace(item: _Item, **changes: Any) -> _Item:
    return dataclasses.replace(item, **changes)
