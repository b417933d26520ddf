"""The in-memory index behind the memory and embedded backends: rows of chunks, a vector matrix,
a bm25s index built when first searched after a change, and the search itself.

Vectors are searched flat (one matrix product; exact, so filters and disabled chunks are a mask):
at SciFact's size and ten times it this is faster than the query's own embedding (bench/README.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence

import numpy as np
import numpy.typing as npt

from rag import errors, filters, retrieval
from rag.embeddings import Embedder
from rag.fulltext import FullTextIndex
from rag.types import Chunk, Document, DocumentStatus, Hit, Mode, SearchRequest


class ChunkIndex:
    """Documents, chunks and vectors in memory, searchable in every mode."""

    def __init__(
        self, embedder: Embedder, fusion: retrieval.Fusion = retrieval.Fusion.CONVEX
    ) -> None:
        self.embedder = embedder
        self.fusion = fusion
        self.documents: dict[str, Document] = {}
        self.chunks: list[Chunk] = []
        self.rows: dict[str, int] = {}
        self.vectors = np.zeros((0, embedder.dimension), np.float32)
        self._full_text: FullTextIndex | None = None

    # documents -----------------------------------------------------------------------------
    def document(self, document_id: str) -> Document:
        """The document's record; NotFoundError if unknown."""
        try:
            return self.documents[document_id]
        except KeyError:
            raise errors.NotFoundError(
                f"document {document_id!r} is not in this knowledge base"
            ) from None

    def finish(self, document_id: str, content_hash: str) -> Document:
        """Mark a document indexed with `content_hash`."""
        document = dataclasses.replace(
            self.document(document_id), content_hash=content_hash, status=DocumentStatus.INDEXED
        )
        self.documents[document_id] = document
        return document

    def drop_document(self, document_id: str) -> None:
        """Forget a document and its chunks."""
        self.document(document_id)
        del self.documents[document_id]
        self.remove([c.id for c in self.chunks if c.document_id == document_id])

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
        for chunk in chunks:
            self.rows[chunk.id] = len(self.chunks)
            self.chunks.append(chunk)
        self.vectors = (
            np.concatenate([self.vectors, vectors.astype(np.float32)])
            if len(chunks)
            else self.vectors
        )
        self._full_text = None

    def remove(self, chunk_ids: Collection[str]) -> None:
        """Drop chunks by id (unknown ids are ignored)."""
        gone = {self.rows[i] for i in chunk_ids if i in self.rows}
        if not gone:
            return
        keep = np.array([r for r in range(len(self.chunks)) if r not in gone], np.int64)
        self.chunks = [self.chunks[r] for r in keep]
        self.vectors = self.vectors[keep]
        self.rows = {c.id: r for r, c in enumerate(self.chunks)}
        self._full_text = None

    def replace(self, chunk: Chunk, vector: npt.NDArray[np.float32] | None) -> None:
        """Put a changed chunk in its row (with its new vector when its text changed)."""
        row = self.rows[chunk.id]
        if vector is not None:
            self.vectors[row] = vector
            self._full_text = None
        self.chunks[row] = chunk

    # search --------------------------------------------------------------------------------
    def search(self, request: SearchRequest) -> list[Hit]:
        """The best chunks for the request (see `rag.retrieval`)."""
        _check_request(request)
        if request.filters:
            filters.check_filters(request.filters, self.documents.values())
        valid = self._valid(request)
        depth = max(retrieval.CANDIDATES, request.top_k)
        if request.mode is Mode.FULL_TEXT:
            fused = retrieval.single(self._full_text_top(request.query, valid, depth), "full_text")
        else:
            query = self.embedder.embed_query(request.query)
            dense = retrieval.top(self.vectors @ query, valid, depth)
            if request.mode is Mode.VECTOR:
                fused = retrieval.single(dense, "vector")
            else:
                weight = (
                    retrieval.DEFAULT_VECTOR_WEIGHT
                    if request.vector_weight is None
                    else request.vector_weight
                )
                sparse = self._full_text_top(request.query, valid, depth)
                fused = retrieval.fuse(dense, sparse, weight, self.fusion)
        return self._hits(fused, request)

    def _valid(self, request: SearchRequest) -> npt.NDArray[np.bool_]:
        allowed = {
            d.id
            for d in self.documents.values()
            if d.enabled
            and d.status is DocumentStatus.INDEXED
            and (request.document_ids is None or d.id in request.document_ids)
            and filters.matches(d, request.filters)
        }
        return np.fromiter(
            (c.enabled and c.document_id in allowed for c in self.chunks), bool, len(self.chunks)
        )

    def _full_text_top(
        self, query: str, valid: npt.NDArray[np.bool_], depth: int
    ) -> retrieval.Ranked:
        if self._full_text is None:
            self._full_text = FullTextIndex([c.text for c in self.chunks])
        return retrieval.top(self._full_text.scores(query), valid, depth, floor=0.0)

    def _hits(self, fused: retrieval.Fused, request: SearchRequest) -> list[Hit]:
        hits: list[Hit] = []
        parents: set[str] = set()
        for row, score, vector, full_text in zip(
            fused.rows, fused.scores, fused.vector, fused.full_text, strict=True
        ):
            if request.score_threshold is not None and score < request.score_threshold:
                break
            chunk = self.chunks[row]
            if chunk.parent_id is not None:
                if chunk.parent_id in parents:
                    continue  # the parent is already returned through a better child
                parents.add(chunk.parent_id)
            scores = {"vector": float(vector), "full_text": float(full_text)}
            scores = {k: v for k, v in scores.items() if not np.isnan(v)}
            if request.mode is Mode.HYBRID:
                scores["hybrid"] = float(score)
            hits.append(Hit(chunk, self.documents[chunk.document_id], float(score), scores))
            if len(hits) == request.top_k:
                break
        return hits


def _check_request(request: SearchRequest) -> None:
    if not request.query.strip():
        raise errors.SettingsError("query", "must not be empty")
    if not 1 <= request.top_k <= 100:
        raise errors.SettingsError("top_k", "must be between 1 and 100")
    if request.vector_weight is not None and not 0 <= request.vector_weight <= 1:
        raise errors.SettingsError("vector_weight", "must be between 0 and 1")
