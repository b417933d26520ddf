"""The Milvus backend: a knowledge base in Milvus, embedded (milvus-lite, a file) or a cluster.

The same pymilvus client serves both: `uri` is a path ending in `.db` for milvus-lite (tests, CI,
one process: the file is locked while open) or a Milvus 2.5+ server's URL (`MILVUS_URI`) that
web and worker processes share. Vectors are searched by inner product (the embedder's vectors
are normalised, so it is cosine similarity) and full text by Milvus's own BM25 function over the
chunk's stems (`_milvus_store`). Hybrid search runs both in Milvus and fuses the two lists with
the core's fusion (`rag.retrieval`) rather than Milvus's `hybrid_search` rankers: the hits must
carry each method's own score, which those rankers do not return, and the core's fusion ranks
better. On SciFact (bench/milvus_eval.py, milvus-lite), nDCG@10: full text 0.686 over the stems
(0.666 through milvus-lite's own analyzer, which does not stem), vector 0.647, hybrid 0.726 with
the core's convex fusion (0.716 by its reciprocal rank), 0.714 with Milvus's WeightedRanker(0.5,
0.5) and 0.714 with its RRFRanker(60).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from rag import errors, filters, retrieval
from rag.backends import _milvus_store as store
from rag.backends._search import check_request, fused_hits
from rag.backends.base import Capabilities
from rag.embeddings import Embedder, default_embedder
from rag.fulltext import tokenize
from rag.types import Chunk, Document, DocumentStatus, Hit, Mode, SearchRequest

IDS_PER_REQUEST = 1000
HIDDEN = 16_384  # Milvus's cap on one query's rows
SEAL_AFTER = 500  # milvus-lite: writes before a read seals them (see MilvusBackend._settle)


class MilvusBackend:
    """A knowledge base stored in the collections `<collection>_chunks` and `_documents`."""

    capabilities: ClassVar[Capabilities] = Capabilities(persistent=True)

    @classmethod
    def for_knowledge_base(
        cls, name: str, folder: Path, embedder: Embedder, *, uri: str, token: str = ""
    ) -> MilvusBackend:
        """The backend of a knowledge base whose collections are named after `name`, on the
        Milvus at `uri` (`folder`, the knowledge base's own, is not needed: Milvus stores it)."""
        return cls(uri, name, embedder, token=token)

    def __init__(
        self,
        uri: str,
        collection: str,
        embedder: Embedder | None = None,
        *,
        token: str = "",
        fusion: retrieval.Fusion = retrieval.Fusion.CONVEX,
    ) -> None:
        store.check_name(collection)
        self._embedder = embedder or default_embedder()
        self._fusion = fusion
        self._uri = uri
        self._last_seq = 0
        self._unsealed = 0  # milvus-lite only: writes since the last flush
        self._chunks, self._documents = f"{collection}_chunks", f"{collection}_documents"
        self._client = store.connect(uri, token)
        try:
            model = f"{self._embedder.model_id}/{self._embedder.dimension}"
            store.ensure_collections(self._client, collection, model, self._embedder.dimension)
        except BaseException:
            self.close()
            raise

    # documents -----------------------------------------------------------------------------
    def put_document(self, document: Document) -> None:
        """Add or replace a document's record (its chunks are left as they are)."""
        self._settle(SEAL_AFTER)
        rows = self._client.query(
            self._documents, filter=f"id == {store.quote(document.id)}", output_fields=["seq"]
        )
        seq = rows[0]["seq"] if rows else self._next_seq()
        self._client.upsert(self._documents, [store.document_row(document, seq)])
        self._wrote()

    def _next_seq(self) -> int:
        # The clock orders documents across processes without reading every record first
        self._last_seq = max(time.time_ns(), self._last_seq + 1)
        return self._last_seq

    def get_document(self, document_id: str) -> Document:
        """The document's record; NotFoundError if there is none."""
        return store.to_document(self._document_row(document_id))

    def _document_row(self, document_id: str) -> dict[str, Any]:
        self._settle(SEAL_AFTER)
        rows = self._client.query(
            self._documents,
            filter=f"id == {store.quote(document_id)}",
            output_fields=store.DOCUMENT_FIELDS,
        )
        if not rows:
            raise errors.NotFoundError(f"document {document_id!r} is not in this knowledge base")
        return dict(rows[0])

    def list_documents(self) -> list[Document]:
        """Every document's record, in the order they were added."""
        return list(self._document_map().values())

    def _document_map(self) -> dict[str, Document]:
        self._settle(SEAL_AFTER)
        rows = store.scan(self._client, self._documents, "", store.DOCUMENT_FIELDS)
        return {
            r["id"]: store.to_document(r) for r in sorted(rows, key=lambda r: (r["seq"], r["id"]))
        }

    def set_document_enabled(self, document_id: str, enabled: bool) -> None:
        """Keep a document but leave it out of searches (or bring it back)."""
        self._put_changed(document_id, enabled=enabled)

    def finish_document(self, document_id: str, content_hash: str) -> Document:
        """Mark a document indexed with the hash of what its chunks were made from."""
        return self._put_changed(
            document_id, content_hash=content_hash, status=DocumentStatus.INDEXED
        )

    def _put_changed(self, document_id: str, **changes: Any) -> Document:
        row = self._document_row(document_id)
        document = dataclasses.replace(store.to_document(row), **changes)
        self._client.upsert(self._documents, [store.document_row(document, row["seq"])])
        self._wrote()
        return document

    def delete_document(self, document_id: str) -> None:
        """Remove a document with its chunks and vectors (chunks first: a crash leaves none)."""
        self.get_document(document_id)
        self._client.delete(self._chunks, filter=f"document_id == {store.quote(document_id)}")
        self._client.delete(self._documents, filter=f"id == {store.quote(document_id)}")
        self._wrote()

    # chunks --------------------------------------------------------------------------------
    def chunk_ids(self, document_id: str) -> set[str]:
        """Ids of the document's stored chunks."""
        self._settle(SEAL_AFTER)
        expr = f"document_id == {store.quote(document_id)}"
        return {r["id"] for r in store.scan(self._client, self._chunks, expr, ["id"])}

    def add_chunks(self, chunks: Sequence[Chunk]) -> None:
        """Embed and store the chunks not stored yet, in one insert (all or none)."""
        self._settle(SEAL_AFTER)
        self._check_documents({c.document_id for c in chunks})
        stored = self._stored_ids([c.id for c in chunks])
        fresh: dict[str, Chunk] = {}
        for chunk in chunks:
            if chunk.id not in stored:
                fresh.setdefault(chunk.id, chunk)
        if not fresh:
            return
        texts = [c.text for c in fresh.values()]
        rows = store.chunk_rows(list(fresh.values()), _terms(texts), self._embedder.embed(texts))
        self._client.insert(self._chunks, rows)
        self._wrote()

    def _check_documents(self, document_ids: set[str]) -> None:
        known = {
            r["id"]
            for batch in _batches(sorted(document_ids))
            for r in self._client.query(
                self._documents, filter=store.one_of("id", batch), output_fields=["id"]
            )
        }
        for missing in sorted(document_ids - known):
            raise errors.NotFoundError(f"document {missing!r} is not in this knowledge base")

    def _stored_ids(self, chunk_ids: Sequence[str]) -> set[str]:
        return {
            r["id"]
            for batch in _batches(sorted(set(chunk_ids)))
            for r in self._client.query(
                self._chunks, filter=store.one_of("id", batch), output_fields=["id"]
            )
        }

    def remove_chunks(self, chunk_ids: Collection[str]) -> None:
        """Remove chunks by id (unknown ids are ignored)."""
        for batch in _batches(sorted(set(chunk_ids))):
            self._client.delete(self._chunks, filter=store.one_of("id", batch))
            self._wrote()

    def list_chunks(self, document_id: str) -> list[Chunk]:
        """A document's chunks in order."""
        self._settle(SEAL_AFTER)
        self.get_document(document_id)
        expr = f"document_id == {store.quote(document_id)}"
        rows = store.scan(self._client, self._chunks, expr, store.CHUNK_FIELDS)
        return sorted((store.to_chunk(r) for r in rows), key=lambda c: c.position)

    def update_chunk(
        self, chunk_id: str, *, text: str | None = None, enabled: bool | None = None
    ) -> Chunk:
        """Change a chunk's text (embedded again) or enabled flag; NotFoundError if unknown."""
        self._settle(SEAL_AFTER)
        rows = self._client.query(
            self._chunks,
            filter=f"id == {store.quote(chunk_id)}",
            output_fields=[*store.CHUNK_FIELDS, "vector"],
        )
        if not rows:
            raise errors.NotFoundError(f"chunk {chunk_id!r} is not in this knowledge base")
        chunk, vector = store.to_chunk(rows[0]), np.asarray(rows[0]["vector"], np.float32)
        if text is not None:
            if not text.strip():
                raise errors.SettingsError("text", "must not be empty")
            chunk, vector = dataclasses.replace(chunk, text=text), self._embedder.embed([text])[0]
        if enabled is not None:
            chunk = dataclasses.replace(chunk, enabled=enabled)
        self._client.upsert(self._chunks, store.chunk_rows([chunk], _terms([chunk.text]), [vector]))
        self._wrote()
        return chunk

    # search --------------------------------------------------------------------------------
    def search(self, request: SearchRequest) -> list[Hit]:
        """The best chunks for the request, best first (see `rag.retrieval`)."""
        check_request(request)
        where = self._where(request)
        if where is None:
            return []
        self._settle()
        candidates = _Candidates(self._client, self._chunks, where)
        depth = max(retrieval.CANDIDATES, request.top_k)
        if request.mode is Mode.FULL_TEXT:
            fused = retrieval.single(candidates.full_text(request.query, depth), "full_text")
        else:
            query = self._embedder.embed_query(request.query)
            dense = candidates.vector(query.tolist(), depth)
            if request.mode is Mode.VECTOR:
                fused = retrieval.single(dense, "vector")
            else:
                weight = (
                    retrieval.DEFAULT_VECTOR_WEIGHT
                    if request.vector_weight is None
                    else request.vector_weight
                )
                sparse = candidates.full_text(request.query, depth)
                fused = retrieval.fuse(dense, sparse, weight, self._fusion)
        chunks = candidates.chunks()
        documents = self._documents_by_id({c.document_id for c in chunks})
        return _hits(fused, chunks, documents, request)

    def _where(self, request: SearchRequest) -> str | None:
        """The chunks' filter for the request's documents ("" for all; None when none can match).

        Without metadata filters or a list of documents only the few documents that are disabled
        or not indexed are read; with them every record is, to apply `rag.filters` (the one
        meaning of each op) and the list.
        """
        if request.filters or request.document_ids is not None:
            documents = self._document_map()
            filters.check_filters(request.filters, documents.values())
            allowed = [d.id for d in documents.values() if _searchable(d, request)]
            return store.one_of("document_id", allowed) if allowed else None
        expr = f'enabled == false or status != "{DocumentStatus.INDEXED.value}"'
        # One plain query, not a scan: past its cap a hidden document's chunks may come back,
        # and `_hits` drops them on their document's record
        rows = self._client.query(self._documents, filter=expr, output_fields=["id"], limit=HIDDEN)
        hidden = [r["id"] for r in rows]
        return f"not ({store.one_of('document_id', hidden)})" if hidden else ""

    def _documents_by_id(self, document_ids: set[str]) -> dict[str, Document]:
        return {
            r["id"]: store.to_document(r)
            for batch in _batches(sorted(document_ids))
            for r in self._client.query(
                self._documents,
                filter=store.one_of("id", batch),
                output_fields=store.DOCUMENT_FIELDS,
            )
        }

    def _wrote(self) -> None:
        if store.is_lite(self._uri):
            self._unsealed += 1

    def _settle(self, writes: int = 1) -> None:
        """On milvus-lite, seal what was written (before a search, or after `writes` writes).

        milvus-lite reads rows still in its memory table by brute force in Python, slower the
        more writes it holds (a search of a few thousand chunks: hundreds of milliseconds; a
        lookup by id after 3,000 writes: 60 ms, against 4 once sealed), and sealed segments
        through their indexes. A Milvus server needs no such help, and frequent flushes only
        fragment its segments.
        """
        if self._unsealed >= writes:
            self._client.flush(self._chunks)
            self._client.flush(self._documents)
            self._unsealed = 0

    def close(self) -> None:
        """Let go of the connection (and of the milvus-lite file's lock)."""
        self._client.close()
        store.release(self._uri)


class _Candidates:
    """The chunks that Milvus's searches return, numbered in the order first seen."""

    def __init__(self, client: Any, collection: str, expr: str) -> None:
        self._client, self._collection = client, collection
        self._expr = f"enabled == true and {expr}" if expr else "enabled == true"
        self._found: dict[str, dict[str, Any]] = {}
        self._rows: dict[str, int] = {}

    def vector(self, query: list[float], depth: int) -> retrieval.Ranked:
        """The `depth` nearest chunks by cosine similarity."""
        return self._search("vector", [query], "IP", depth)

    def full_text(self, query: str, depth: int) -> retrieval.Ranked:
        """The `depth` best chunks by BM25 (none when no query term is indexable)."""
        terms = _terms([query])[0]
        return self._search("sparse", [terms], "BM25", depth) if terms else _EMPTY

    def _search(self, field: str, data: list[Any], metric: str, depth: int) -> retrieval.Ranked:
        (results,) = self._client.search(
            self._collection,
            data=data,
            anns_field=field,
            limit=depth,
            filter=self._expr,
            search_params={"metric_type": metric},
            output_fields=store.CHUNK_FIELDS,
        )
        rows, scores = [], []
        for hit in results:
            # milvus-lite reports BM25 scores negated (a cluster does not); the score is positive
            score = abs(float(hit["distance"])) if metric == "BM25" else float(hit["distance"])
            if metric == "BM25" and score <= 0:
                continue
            entity = {**hit["entity"], "id": hit["id"]}
            rows.append(self._row(entity))
            scores.append(score)
        order = np.argsort(-np.asarray(scores, np.float32), kind="stable")
        return retrieval.Ranked(
            np.asarray(rows, np.int64)[order],
            np.asarray(scores, np.float32)[order],
            complete=len(results) < depth,  # fewer than asked: Milvus had no more
        )

    def _row(self, entity: dict[str, Any]) -> int:
        if entity["id"] not in self._rows:
            self._rows[entity["id"]] = len(self._found)
            self._found[entity["id"]] = entity
        return self._rows[entity["id"]]

    def chunks(self) -> list[Chunk]:
        """Every candidate as a chunk, by row number."""
        return [store.to_chunk(e) for e in self._found.values()]


_EMPTY = retrieval.Ranked(np.zeros(0, np.int64), np.zeros(0, np.float32), complete=True)


def _hits(
    fused: retrieval.Fused,
    chunks: list[Chunk],
    documents: dict[str, Document],
    request: SearchRequest,
) -> list[Hit]:
    """The fused list as hits; a document changed by another process between the two reads
    (no longer searchable) is left out."""

    def searchable(chunk: Chunk) -> Document | None:
        document = documents.get(chunk.document_id)
        return document if document is not None and _searchable(document, request) else None

    return fused_hits(fused, request, chunks.__getitem__, searchable)


def _searchable(document: Document, request: SearchRequest) -> bool:
    return (
        document.enabled
        and document.status is DocumentStatus.INDEXED
        and (request.document_ids is None or document.id in request.document_ids)
        and filters.matches(document, request.filters)
    )


def _terms(texts: Sequence[str]) -> list[str]:
    """What Milvus's BM25 function indexes: each text's stems, space-separated."""
    return [" ".join(tokens) for tokens in tokenize(texts)]


def _batches(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[i : i + IDS_PER_REQUEST] for i in range(0, len(items), IDS_PER_REQUEST)]
