"""Retrieval quality: nDCG@10 and Recall@k of a knowledge base over a test set, and a sweep.

A test set is queries with the documents that should come back (graded: BEIR's qrels scores).
Search returns chunks; a document ranks where its first chunk does. Every figure is measured
on what an app with the settings gets: the documents of the first `top_k` chunks, in order.
nDCG@10 uses graded gains as BEIR computes it (pytrec_eval), over at most ten of those
documents; Recall@k is the share of a query's relevant documents among them. The sweep runs
the hybrid search once per weight at the deepest top-k and cuts it for each smaller one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rag.types import Mode

SearchFn = Callable[[str, Mode, int, float | None], list[str]]
"""(query, mode, top_k, hybrid weight) → the document id of each chunk hit, best first."""
ProgressFn = Callable[[int, int], None]
Qrels = Mapping[str, Mapping[str, int]]

SWEEP_WEIGHTS: tuple[float, ...] = tuple(round(w / 10, 1) for w in range(11))
SWEEP_TOP_K: tuple[int, ...] = (3, 5, 10, 20)
TIE = 0.005  # nDCG@10 closer than this is a tie: the setting with fewer chunks wins


def ranked_documents(document_ids: Iterable[str]) -> list[str]:
    """Each document once, where its first chunk ranks."""
    return list(dict.fromkeys(document_ids))


def ndcg_at_10(ranked: Sequence[str], relevant: Mapping[str, int]) -> float:
    """nDCG@10 of ranked document ids with graded gains (0 when nothing is relevant)."""
    dcg = sum(relevant.get(d, 0) / math.log2(r + 2) for r, d in enumerate(ranked[:10]))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:10]
    best = sum(g / math.log2(r + 2) for r, g in enumerate(ideal))
    return dcg / best if best else 0.0


def recall(ranked: Sequence[str], relevant: Mapping[str, int]) -> float:
    """The share of the relevant documents that are among `ranked`."""
    wanted = {d for d, g in relevant.items() if g > 0}
    return len(wanted.intersection(ranked)) / len(wanted) if wanted else 0.0


@dataclass(frozen=True, slots=True)
class Score:
    """Mean nDCG@10 and Recall@k over the queries at one setting."""

    ndcg_at_10: float
    recall_at_k: float
    k: int


@dataclass(frozen=True, slots=True)
class SweepPoint:
    """The hybrid search's score at one weight and top-k."""

    weight: float
    top_k: int
    ndcg_at_10: float
    recall_at_k: float


@dataclass(frozen=True, slots=True)
class Report:
    """Each method at the current settings, the sweep, and its best point (None: no queries)."""

    results: dict[str, Score]
    sweep: list[SweepPoint]
    best: SweepPoint | None
    queries: int


@dataclass(slots=True)
class _Lists:
    """Each query's chunk hits (document ids) per (mode, weight), searched once."""

    search: SearchFn
    depth: int
    total: int
    progress: ProgressFn
    done: int = 0
    found: dict[tuple[str, Mode, float | None], list[str]] = field(default_factory=dict)

    def get(self, query: str, mode: Mode, weight: float | None) -> list[str]:
        key = (query, mode, weight)
        if key not in self.found:
            self.found[key] = self.search(query, mode, self.depth, weight)
            self.done += 1
            self.progress(self.done, self.total)
        return self.found[key]


def searches_needed(queries: int, weight: float, sweep_weights: Sequence[float]) -> int:
    """How many searches an evaluation runs (its progress's total)."""
    weights = set(sweep_weights) | {weight}
    return queries * (2 + len(weights))


def evaluate(
    search: SearchFn,
    queries: Mapping[str, str],
    qrels: Qrels,
    *,
    weight: float,
    top_k: int,
    sweep_weights: Sequence[float] = SWEEP_WEIGHTS,
    sweep_top_k: Sequence[int] = SWEEP_TOP_K,
    progress: ProgressFn | None = None,
) -> Report:
    """Score vector, full-text and hybrid search at (weight, top_k), and sweep the hybrid
    search over the weights and top-ks; queries without a relevant document are left out."""
    judged = {
        q: text for q, text in queries.items() if any(g > 0 for g in qrels.get(q, {}).values())
    }
    lists = _Lists(
        search,
        max([top_k, *sweep_top_k]),
        searches_needed(len(judged), weight, sweep_weights),
        progress or (lambda done, total: None),
    )

    def score(mode: Mode, w: float | None, k: int) -> Score:
        return _score(lists, judged, qrels, mode, w, k)

    results = {
        Mode.VECTOR.value: score(Mode.VECTOR, None, top_k),
        Mode.FULL_TEXT.value: score(Mode.FULL_TEXT, None, top_k),
        Mode.HYBRID.value: score(Mode.HYBRID, weight, top_k),
    }
    sweep = []
    for w in sweep_weights:
        for k in sweep_top_k:
            s = score(Mode.HYBRID, w, k)
            sweep.append(SweepPoint(w, k, s.ndcg_at_10, s.recall_at_k))
    return Report(results, sweep, best_point(sweep, weight) if judged else None, len(judged))


def _score(
    lists: _Lists, judged: Mapping[str, str], qrels: Qrels, mode: Mode, weight: float | None, k: int
) -> Score:
    """The mean figures over the judged queries of one method at one setting."""
    ndcgs, recalls = [], []
    for query_id, text in judged.items():
        ranked = ranked_documents(lists.get(text, mode, weight)[:k])
        ndcgs.append(ndcg_at_10(ranked, qrels[query_id]))
        recalls.append(recall(ranked, qrels[query_id]))
    return Score(_mean(ndcgs), _mean(recalls), k)


def best_point(sweep: Sequence[SweepPoint], weight: float) -> SweepPoint | None:
    """The highest nDCG@10; among ties, fewer chunks, then the weight nearest the current."""
    if not sweep:
        return None
    top = max(p.ndcg_at_10 for p in sweep)
    tied = [p for p in sweep if top - p.ndcg_at_10 < TIE]
    return min(tied, key=lambda p: (p.top_k, abs(p.weight - weight), -p.ndcg_at_10))


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0
