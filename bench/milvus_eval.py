"""The Milvus backend on SciFact: full-text, vector and hybrid quality, and Milvus's own rankers.

Usage: python bench/milvus_eval.py [--quick] [--vectors DIR] [--data DIR]
Ingests SciFact (one chunk a document: title and abstract) into the Milvus backend on a
milvus-lite file and prints nDCG@10 and Recall@100 of the test queries, with p50/p95 latency:
  - full text: Milvus's BM25 over rag.fulltext's stems (what the backend does), and over the raw
    text through milvus-lite's own analyzer (standard tokenizer, bm25s's stopwords, no stems);
  - vector, and hybrid as the backend fuses (convex, w = 0.5) and by reciprocal rank (k = 60);
  - Milvus's `hybrid_search` with its WeightedRanker(0.5, 0.5) and RRFRanker(60), the same two
    lists ranked by Milvus, for comparison (their hits have no per-method scores).
Embedding SciFact takes minutes on 2 cores: `--vectors DIR` reuses `dvecs.npy`/`qvecs.npy` (the
corpus and test queries in file order, as embedded by rag.embeddings.MiniLM), writing them there
the first time. The last stdout line is one JSON object with the figures.

Measured on the 2-core machine, busy with other work (so read the latencies as an upper bound),
5,183 documents and 300 queries, milvus-lite 3.2.2:
| method | nDCG@10 | R@100 | p50 ms | p95 ms |
| --- | --- | --- | --- | --- |
| full text, stems (the backend) | 0.686 | 0.913 | 98 | 361 |
| full text, milvus-lite's analyzer on raw text | 0.666 | 0.886 | 33 | 64 |
| vector | 0.647 | 0.922 | 94 | 408 |
| hybrid, convex w = 0.5 (the backend) | 0.726 | 0.948 | 193 | 501 |
| hybrid, the core's reciprocal rank (k = 60) | 0.716 | 0.948 | 165 | 469 |
| Milvus hybrid_search, WeightedRanker(0.5, 0.5) | 0.714 | 0.913 | 120 | 165 |
| Milvus hybrid_search, RRFRanker(60) | 0.714 | 0.948 | 124 | 188 |
Ingestion through the backend (vectors given): 273 s. The backend's searches also read the
hidden documents' and the hits' records, which the bare hybrid_search rows do not.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from bm25s.stopwords import STOPWORDS_EN

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag import retrieval  # noqa: E402
from rag.backends.milvus import MilvusBackend  # noqa: E402
from rag.embeddings import MiniLM, Vectors  # noqa: E402
from rag.types import Chunk, Document, Mode, SearchRequest  # noqa: E402

DATA = next(  # ../shared beside the checkout (a worktree sits one level deeper)
    (p / "shared" / "data" / "scifact" for p in ROOT.parents if (p / "shared" / "data").is_dir()),
    ROOT.parent / "shared" / "data" / "scifact",
)


class Cached:
    """MiniLM's vectors for known texts (the corpus and the queries), embedding only the rest."""

    def __init__(self, texts: Sequence[str], vectors: Vectors, model: Callable[[], MiniLM]) -> None:
        self.known = dict(zip(texts, vectors, strict=True))
        self._model: Callable[[], MiniLM] = model
        self._loaded: MiniLM | None = None
        self.model_id, self.dimension, self.max_tokens = "all-MiniLM-L6-v2", 384, 256

    def token_ids(self, text: str) -> list[int]:
        """Not needed: chunks are given whole."""
        return []

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Known vectors, or the model's."""
        if all(t in self.known for t in texts):
            return np.stack([self.known[t] for t in texts]).astype(np.float32)
        return self.model().embed(texts)

    def embed_query(self, query: str) -> Vectors:
        """A known query's vector, or the model's."""
        return self.known[query] if query in self.known else self.model().embed_query(query)

    def model(self) -> MiniLM:
        """The real model, loaded on first use."""
        if self._loaded is None:
            self._loaded = self._model()
        return self._loaded


def load(
    data: Path, quick: bool
) -> tuple[list[dict[str, str]], dict[str, str], dict[str, dict[str, int]]]:
    """Corpus, test queries {id: text} and qrels {query: {doc: grade}} (a subset with --quick)."""
    with gzip.open(data / "corpus.jsonl.gz", "rt") as lines:
        corpus = [json.loads(line) for line in lines]
    qrels: dict[str, dict[str, int]] = {}
    for line in (data / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        query, doc, grade = line.split("\t")
        qrels.setdefault(query, {})[doc] = int(grade)
    queries = {
        q["_id"]: q["text"]
        for q in map(json.loads, (data / "queries.jsonl").read_text().splitlines())
        if q["_id"] in qrels
    }
    if quick:
        keep_queries = dict(list(queries.items())[:50])
        relevant = {d for q in keep_queries for d in qrels[q]}
        corpus = [d for d in corpus if d["_id"] in relevant] + [
            d for d in corpus if d["_id"] not in relevant
        ][:1000]
        queries = keep_queries
    return corpus, queries, qrels


def vectors(
    args: argparse.Namespace, texts: list[str], queries: list[str]
) -> tuple[Vectors, Vectors]:
    """The corpus's and the queries' vectors, from --vectors when there."""
    folder = Path(args.vectors) if args.vectors else None
    if folder and (folder / "dvecs.npy").exists() and not args.quick:
        return np.load(folder / "dvecs.npy"), np.load(folder / "qvecs.npy")
    model = MiniLM()
    docs, qs = model.embed(texts), model.embed(queries)
    if folder and not args.quick:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "dvecs.npy", docs)
        np.save(folder / "qvecs.npy", qs)
    return docs, qs


def ndcg10(ranking: list[str], relevant: dict[str, int]) -> float:
    """nDCG@10 with graded relevance."""
    gain = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranking[:10]))
    ideal = sum(
        g / math.log2(i + 2) for i, g in enumerate(sorted(relevant.values(), reverse=True)[:10])
    )
    return gain / ideal if ideal else 0.0


def score(
    name: str,
    run: Callable[[str], list[str]],
    queries: dict[str, str],
    qrels: dict[str, dict[str, int]],
) -> dict[str, Any]:
    """nDCG@10, Recall@100 and latency of one way of ranking."""
    ndcgs, recalls, took = [], [], []
    for query_id, text in queries.items():
        start = time.perf_counter()
        ranking = run(text)
        took.append(time.perf_counter() - start)
        relevant = qrels[query_id]
        ndcgs.append(ndcg10(ranking, relevant))
        recalls.append(len(set(ranking[:100]) & set(relevant)) / len(relevant))
    figures = {
        "method": name,
        "ndcg10": round(float(np.mean(ndcgs)), 3),
        "recall100": round(float(np.mean(recalls)), 3),
        "p50_ms": round(float(np.percentile(took, 50)) * 1000, 1),
        "p95_ms": round(float(np.percentile(took, 95)) * 1000, 1),
    }
    print(json.dumps(figures), flush=True)
    return figures


def ingest(backend: MilvusBackend, corpus: list[dict[str, str]], texts: list[str]) -> float:
    """Store every document as one chunk; the seconds it took."""
    start = time.perf_counter()
    for doc in corpus:
        backend.put_document(Document(doc["_id"], doc["_id"]))
    for at in range(0, len(corpus), 256):
        backend.add_chunks(
            [
                Chunk(d["_id"], d["_id"], t, 0)
                for d, t in zip(corpus[at : at + 256], texts[at : at + 256], strict=True)
            ]
        )
    for doc in corpus:
        backend.finish_document(doc["_id"], "bench")
    return time.perf_counter() - start


def raw_text_collection(client: Any, corpus: list[dict[str, str]], texts: list[str]) -> str:
    """A collection whose BM25 reads the raw text through milvus-lite's own analyzer."""
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
    analyzer = {
        "tokenizer": "standard",
        "filter": ["lowercase", {"type": "stop", "stop_words": sorted(STOPWORDS_EN)}],
    }
    schema.add_field(
        "text", DataType.VARCHAR, max_length=65535, enable_analyzer=True, analyzer_params=analyzer
    )
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("placeholder", DataType.FLOAT_VECTOR, dim=2)
    schema.add_function(
        Function(
            name="bm25",
            function_type=FunctionType.BM25,
            input_field_names=["text"],
            output_field_names=["sparse"],
        )
    )
    params = client.prepare_index_params()
    params.add_index(
        "sparse",
        index_type="SPARSE_INVERTED_INDEX",
        metric_type="BM25",
        params={"bm25_k1": 1.5, "bm25_b": 0.75},
    )
    params.add_index("placeholder", index_type="FLAT", metric_type="L2")
    client.create_collection(
        "raw_text", schema=schema, index_params=params, consistency_level="Strong"
    )
    rows = [
        {"id": d["_id"], "text": t, "placeholder": [0.0, 0.0]}
        for d, t in zip(corpus, texts, strict=True)
    ]
    for at in range(0, len(rows), 1000):
        client.insert("raw_text", rows[at : at + 1000])
    client.flush("raw_text")  # searched sealed, as the backend's collections are
    return "raw_text"


def main() -> None:
    """Ingest, rank every way, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="50 queries over about 1,100 documents"
    )
    parser.add_argument("--vectors", help="folder of dvecs.npy and qvecs.npy (made if missing)")
    parser.add_argument("--data", default=str(DATA))
    args = parser.parse_args()
    corpus, queries, qrels = load(Path(args.data), args.quick)
    texts = [f"{d['title']}\n{d['text']}".strip() for d in corpus]
    query_texts = list(queries.values())
    doc_vectors, query_vectors = vectors(args, texts, query_texts)
    embedder = Cached([*texts, *query_texts], np.concatenate([doc_vectors, query_vectors]), MiniLM)
    with tempfile.TemporaryDirectory() as folder:
        backend = MilvusBackend(str(Path(folder) / "scifact.db"), "scifact", embedder)
        seconds = ingest(backend, corpus, texts)
        print(
            json.dumps(
                {"documents": len(corpus), "queries": len(queries), "ingest_s": round(seconds, 1)}
            ),
            flush=True,
        )
        client = backend._client  # measuring Milvus itself, beside the backend
        raw = raw_text_collection(client, corpus, texts)
        results = [
            score(
                "full_text (stems, the backend)",
                lambda q: ids(backend, q, Mode.FULL_TEXT),
                queries,
                qrels,
            ),
            score(
                "full_text (lite's analyzer, raw text)",
                lambda q: raw_bm25(client, raw, q),
                queries,
                qrels,
            ),
            score("vector", lambda q: ids(backend, q, Mode.VECTOR), queries, qrels),
            score(
                "hybrid convex w=0.5 (the backend)",
                lambda q: ids(backend, q, Mode.HYBRID),
                queries,
                qrels,
            ),
        ]
        backend._fusion = retrieval.Fusion.RRF
        results.append(
            score(
                "hybrid rrf k=60 (core fusion)",
                lambda q: ids(backend, q, Mode.HYBRID),
                queries,
                qrels,
            )
        )
        for name, ranker in rankers():
            run = functools.partial(milvus_hybrid, client, embedder, ranker=ranker)
            results.append(score(name, run, queries, qrels))
        backend.close()
    print(json.dumps({"documents": len(corpus), "ingest_s": round(seconds, 1), "results": results}))


def ids(backend: MilvusBackend, query: str, mode: Mode) -> list[str]:
    """The backend's ranking of document ids (top 100)."""
    return [h.document.id for h in backend.search(SearchRequest(query, mode=mode, top_k=100))]


def raw_bm25(client: Any, collection: str, query: str) -> list[str]:
    """BM25 over the raw-text collection."""
    (hits,) = client.search(
        collection,
        data=[query],
        anns_field="sparse",
        limit=100,
        search_params={"metric_type": "BM25"},
    )
    return [h["id"] for h in hits]


def rankers() -> list[tuple[str, Any]]:
    """Milvus's two hybrid rankers."""
    from pymilvus import RRFRanker, WeightedRanker

    return [
        ("milvus hybrid_search WeightedRanker(0.5, 0.5)", WeightedRanker(0.5, 0.5)),
        ("milvus hybrid_search RRFRanker(60)", RRFRanker(60)),
    ]


def milvus_hybrid(client: Any, embedder: Cached, query: str, ranker: Any) -> list[str]:
    """Milvus's own hybrid search over the backend's two fields."""
    from pymilvus import AnnSearchRequest

    from rag.backends.milvus import _terms

    requests = [
        AnnSearchRequest(
            data=[embedder.embed_query(query).tolist()],
            anns_field="vector",
            param={"metric_type": "IP"},
            limit=100,
        ),
        AnnSearchRequest(
            data=[_terms([query])[0]], anns_field="sparse", param={"metric_type": "BM25"}, limit=100
        ),
    ]
    (hits,) = client.hybrid_search(
        "scifact_chunks", requests, ranker, limit=100, output_fields=["document_id"]
    )
    return [h["entity"]["document_id"] for h in hits]


if __name__ == "__main__":
    main()
