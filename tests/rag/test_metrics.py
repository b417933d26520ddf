"""rag.metrics: nDCG@10 and Recall as BEIR computes them, on what an app's top-k gets, and the
sweep's best point."""

from __future__ import annotations

import math

import pytest

from rag.metrics import SweepPoint, best_point, evaluate, ndcg_at_10, ranked_documents, recall
from rag.types import Mode


def test_metrics_ndcg_uses_graded_gains_and_the_ideal_order() -> None:
    relevant = {"a": 2, "b": 1}
    assert ndcg_at_10(["a", "b", "x"], relevant) == pytest.approx(1.0)
    ideal = 2 + 1 / math.log2(3)
    assert ndcg_at_10(["x", "a"], relevant) == pytest.approx((2 / math.log2(3)) / ideal)
    assert ndcg_at_10(["x"] * 10 + ["a"], relevant) == 0.0  # past the tenth
    assert ndcg_at_10(["a"], {}) == 0.0
    assert recall(["a", "x"], relevant) == 0.5
    assert ranked_documents(["a", "a", "b", "a", "c"]) == ["a", "b", "c"]


def test_metrics_evaluate_cuts_each_list_at_top_k_chunks() -> None:
    lists = {  # chunk hits (their documents), best first, by mode and weight
        (Mode.VECTOR, None): ["x", "x", "a"],
        (Mode.FULL_TEXT, None): ["a", "b"],
    }
    calls: list[tuple[str, Mode, int, float | None]] = []

    def search(query: str, mode: Mode, top_k: int, weight: float | None) -> list[str]:
        calls.append((query, mode, top_k, weight))
        if mode is Mode.HYBRID:
            return ["a"] if weight == 0.0 else ["x", "a"]
        return lists[(mode, None)]

    done: list[tuple[int, int]] = []
    report = evaluate(
        search,
        {"q": "query", "unjudged": "nothing relevant"},
        {"q": {"a": 1}},
        weight=0.5,
        top_k=2,
        sweep_weights=(0.0, 1.0),
        sweep_top_k=(1, 2),
        progress=lambda d, t: done.append((d, t)),
    )
    assert report.queries == 1
    assert report.results["vector"].recall_at_k == 0.0  # "a" is the third chunk: past top_k 2
    assert report.results["full_text"].ndcg_at_10 == 1.0
    assert [(p.weight, p.top_k, p.ndcg_at_10) for p in report.sweep] == [
        (0.0, 1, 1.0),
        (0.0, 2, 1.0),
        (1.0, 1, 0.0),
        (1.0, 2, round(1 / math.log2(3), 4)),
    ]
    assert report.best == report.sweep[0]  # the fewest chunks among the best
    assert len(calls) == 1 * (2 + 3)  # each (mode, weight) searched once, at the deepest top-k
    assert done[-1] == (5, 5)


def test_metrics_best_point_breaks_ties_by_fewer_chunks_then_the_nearest_weight() -> None:
    sweep = [
        SweepPoint(0.2, 5, 0.801, 0.9),
        SweepPoint(0.7, 5, 0.803, 0.9),
        SweepPoint(0.7, 10, 0.805, 1.0),  # within 0.005 of each other: a tie
        SweepPoint(0.4, 3, 0.5, 0.5),
    ]
    assert best_point(sweep, weight=0.6) == sweep[1]
    assert best_point(sweep[:1] + sweep[2:], weight=0.9) == sweep[0]
    assert best_point(sweep[2:], weight=0.5) == sweep[2]
    assert best_point([], weight=0.5) is None
