"""Search over a `ChunkIndex`: each method's candidates, fusion, threshold, one hit per parent."""

from __future__ import annotations

import math
from collections.abc import Callable

from rag import errors, filters, retrieval
from rag.backends._index import ChunkIndex, Mask
from rag.types import Chunk, Document, Hit, Mode, SearchRequest


def search(index: ChunkIndex, request: SearchRequest) -> list[Hit]:
    """The best chunks for the request, best first (see `rag.retrieval`)."""
    check_request(request)
    if request.filters:
        filters.check_filters(request.filters, index.documents.values())
    only = request.document_ids
    if request.filters or only is not None:
        valid = index.searchable(
            lambda d: (only is None or d.id in only) and filters.matches(d, request.filters)
        )
    else:
        valid = index.searchable()
    depth = max(retrieval.CANDIDATES, request.top_k)
    if request.mode is Mode.FULL_TEXT:
        fused = retrieval.single(_full_text(index, request.query, valid, depth), "full_text")
    else:
        query = index.embedder.embed_query(request.query)
        dense = retrieval.top(index.vectors @ query, valid, depth)
        if request.mode is Mode.VECTOR:
            fused = retrieval.single(dense, "vector")
        else:
            weight = request.vector_weight
            weight = retrieval.DEFAULT_VECTOR_WEIGHT if weight is None else weight
            sparse = _full_text(index, request.query, valid, depth)
            fused = retrieval.fuse(dense, sparse, weight, index.fusion)
    return _hits(index, fused, request)


def check_request(request: SearchRequest) -> None:
    """Raise SettingsError naming the first field of the request that is out of range."""
    if not request.query.strip():
        raise errors.SettingsError("query", "must not be empty")
    if not 1 <= request.top_k <= 100:
        raise errors.SettingsError("top_k", "must be between 1 and 100")
    if request.vector_weight is not None and not 0 <= request.vector_weight <= 1:
        raise errors.SettingsError("vector_weight", "must be between 0 and 1")


def _full_text(index: ChunkIndex, query: str, valid: Mask, depth: int) -> retrieval.Ranked:
    return retrieval.top(index.full_text().scores(query), valid, depth, floor=0.0)


def _hits(index: ChunkIndex, fused: retrieval.Fused, request: SearchRequest) -> list[Hit]:
    return fused_hits(
        fused, request, index.chunks.__getitem__, lambda c: index.documents[c.document_id]
    )


def fused_hits(
    fused: retrieval.Fused,
    request: SearchRequest,
    chunk_at: Callable[[int], Chunk],
    document_of: Callable[[Chunk], Document | None],
) -> list[Hit]:
    """The fused list as hits: over the threshold, each parent once, at most top_k. `chunk_at`
    gives a fused row's chunk, `document_of` its document (None: skip it, it may no longer be
    searched)."""
    hits: list[Hit] = []
    parents: set[str] = set()
    columns = (fused.rows, fused.scores, fused.vector, fused.full_text)
    for row, score, vector, full_text in zip(*columns, strict=True):
        if request.score_threshold is not None and score < request.score_threshold:
            break
        chunk = chunk_at(row)
        document = document_of(chunk)
        if document is None:
            continue
        if chunk.parent_id is not None:
            if chunk.parent_id in parents:
                continue  # the parent is already returned through a better child
            parents.add(chunk.parent_id)
        scores = {"vector": float(vector), "full_text": float(full_text)}
        scores = {k: v for k, v in scores.items() if not math.isnan(v)}
        if request.mode is Mode.HYBRID:
            scores["hybrid"] = float(score)
        hits.append(Hit(chunk, document, float(score), scores))
        if len(hits) == request.top_k:
            break
    return hits
