"""The in-memory index behind the memory and embedded backends: documents, rows of chunks, their
vectors in one growing matrix, and what searches need, cached until the next change.

Vectors are searched flat (one matrix product, exact, so filters and disabled chunks are a mask);
rag/README.md has the figures that chose it over an approximate index.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Sequence

import numpy as np
import numpy.typing as npt

from rag import errors
from rag.embeddings import Embedder
from rag.fulltext import FullTextIndex
from rag.retrieval import Fusion
from rag.types import Chunk, Document, DocumentStatus

Mask = npt.NDArray[np.bool_]


class ChunkIndex:
    """Documents, chunks and vectors in memory; `search` (rag.backends._search) reads it."""

    def __init__(self, embedder: Embedder, fusion: Fusion = Fusion.CONVEX) -> None:
        self.embedder = embedder
        self.fusion = fusion
        self.documents: dict[str, Document] = {}
        self.chunks: list[Chunk] = []
        self.rows: dict[str, int] = {}
        self.by_document: dict[str, list[str]] = {}
        self._matrix = np.zeros((64, embedder.dimension), np.float32)  # grows by doubling
        self._full_text: FullTextIndex | None = None
        self._base: Mask | None = None
        self._owner: npt.NDArray[np.int64] | None = None

    @property
    def vectors(self) -> npt.NDArray[np.float32]:
        """One row per chunk (a view of the matrix)."""
        return self._matrix[: len(self.chunks)]

    def full_text(self) -> FullTextIndex:
        """The BM25 index of every chunk's text, built on first use after a change."""
        if self._full_text is None:
            self._full_text = FullTextIndex([c.text for c in self.chunks])
        return self._full_text

    def searchable(self, keep: Callable[[Document], bool] | None = None) -> Mask:
        """Rows of enabled chunks of enabled, indexed documents (that `keep` accepts)."""
        if self._base is None:
            chunk_on = np.fromiter((c.enabled for c in self.chunks), bool, len(self.chunks))
            self._base = chunk_on & self._document_mask(
                lambda d: d.enabled and d.status is DocumentStatus.INDEXED
            )
        return self._base if keep is None else self._base & self._document_mask(keep)

    def _document_mask(self, keep: Callable[[Document], bool]) -> Mask:
        if self._owner is None:  # row → position of its document in self.documents
            position = {d: n for n, d in enumerate(self.documents)}
            owners = (position[c.document_id] for c in self.chunks)
            self._owner = np.fromiter(owners, np.int64, len(self.chunks))
        kept = np.fromiter((keep(d) for d in self.documents.values()), bool, len(self.documents))
        return kept[self._owner]

    def _changed(self, text: bool = False, rows: bool = False) -> None:
        self._base = None
        if rows:
            self._owner = None
        if text or rows:
            self._full_text = None

    # documents -----------------------------------------------------------------------------
    def document(self, document_id: str) -> Document:
        """The document's record; NotFoundError if unknown."""
        try:
            return self.documents[document_id]
        except KeyError:
            raise errors.NotFoundError(
                f"document {document_id!r} is not in this knowledge base"
            ) from None

    def put_document(self, document: Document) -> None:
        """Add or replace a document's record."""
        new = document.id not in self.documents
        self.documents[document.id] = document
        self.by_document.setdefault(document.id, [])
        self._changed(rows=new)

    def finish(self, document_id: str, content_hash: str) -> Document:
        """Mark a document indexed with `content_hash`."""
        document = dataclasses.replace(
            self.document(document_id), content_hash=content_hash, status=DocumentStatus.INDEXED
        )
        self.put_document(document)
        return document

    def drop_document(self, document_id: str) -> None:
        """Forget a document and its chunks."""
        self.document(document_id)
        self.remove(self.by_document.pop(document_id))
        del self.documents[document_id]
        self._changed(rows=True)

    # chunks --------------------------------------------------------------------------------
    def chunk(self, chunk_id: str) -> Chunk:
        """The chunk with this id; NotFoundError if unknown."""
        if chunk_id not in self.rows:
            raise errors.NotFoundError(f"chunk {chunk_id!r} is not in this knowledge base")
        return self.chunks[self.rows[chunk_id]]

    def new_chunks(self, chunks: Sequence[Chunk]) -> list[Chunk]:
        """The chunks not stored yet (first of each id); NotFoundError for an unknown document."""
        fresh: dict[str, Chunk] = {}
        for chunk in chunks:
            self.document(chunk.document_id)
            if chunk.id not in self.rows:
                fresh.setdefault(chunk.id, chunk)
        return list(fresh.values())

    def append(self, chunks: Sequence[Chunk], vectors: npt.NDArray[np.float32]) -> None:
        """Add new chunks with their vectors."""
        start, end = len(self.chunks), len(self.chunks) + len(chunks)
        if end > len(self._matrix):
            grown = np.zeros((max(end, 2 * len(self._matrix)), self._matrix.shape[1]), np.float32)
            grown[:start] = self._matrix[:start]
            self._matrix = grown
        self._matrix[start:end] = vectors
        for chunk in chunks:
            self.rows[chunk.id] = len(self.chunks)
            self.chunks.append(chunk)
            self.by_document.setdefault(chunk.document_id, []).append(chunk.id)
        self._changed(rows=True)

    def remove(self, chunk_ids: Collection[str]) -> None:
        """Drop chunks by id (unknown ids are ignored)."""
        gone = {self.rows[i] for i in chunk_ids if i in self.rows}
        if not gone:
            return
        keep = np.array([r for r in range(len(self.chunks)) if r not in gone], np.int64)
        self._matrix = self._matrix[keep] if len(keep) else self._matrix[:0]
        self.chunks = [self.chunks[r] for r in keep]
        self.rows = {c.id: r for r, c in enumerate(self.chunks)}
        self.by_document = {d: [] for d in self.documents}
        for chunk in self.chunks:
            self.by_document[chunk.document_id].append(chunk.id)
        self._changed(rows=True)

    def replace(self, chunk: Chunk, vector: npt.NDArray[np.float32] | None) -> None:
        """Put a changed chunk in its row (with its new vector when its text changed)."""
        row = self.rows[chunk.id]
        if vector is not None:
            self._matrix[row] = vector
        self.chunks[row] = chunk
        self._changed(text=vector is not None)
