"""Ranking and fusion, on hand-made score lists."""

from __future__ import annotations

import numpy as np
import pytest

from rag.retrieval import Fusion, Ranked, fuse, top


def ranked(rows: list[int], scores: list[float]) -> Ranked:
    return Ranked(np.array(rows, np.int64), np.array(scores, np.float32))


def test_top_keeps_the_best_valid_rows_above_the_floor() -> None:
    scores = np.array([0.5, 0.9, 0.0, 0.7, 0.8], np.float32)
    valid = np.array([True, True, True, True, False])
    best = top(scores, valid, depth=2, floor=0.0)
    assert best.rows.tolist() == [1, 3]
    assert best.scores.tolist() == pytest.approx([0.9, 0.7])
    assert top(scores, valid, depth=10, floor=0.0).rows.tolist() == [1, 3, 0]


def test_convex_fusion_normalises_each_list_then_weighs_them() -> None:
    vector = ranked([1, 2, 3], [0.9, 0.5, 0.1])  # normalised: 1, 0.5, 0
    full_text = ranked([3, 4], [12.0, 4.0])  # normalised: 1, 0
    fused = fuse(vector, full_text, weight=0.5)
    by_row = dict(zip(fused.rows.tolist(), fused.scores.tolist(), strict=True))
    assert by_row == pytest.approx({1: 0.5, 2: 0.25, 3: 0.5, 4: 0.0})
    assert fused.rows.tolist()[:2] == [1, 3]  # a tie keeps the lower row first
    row3 = fused.rows.tolist().index(3)
    assert fused.vector[row3] == pytest.approx(0.1)
    assert fused.full_text[row3] == pytest.approx(12.0)
    assert np.isnan(fused.full_text[fused.rows.tolist().index(1)])


def test_convex_fusion_weight_one_is_the_vector_order() -> None:
    vector = ranked([5, 6, 7], [0.8, 0.6, 0.4])
    full_text = ranked([7, 6], [9.0, 3.0])
    assert fuse(vector, full_text, weight=1.0).rows.tolist()[:3] == [5, 6, 7]
    assert fuse(vector, full_text, weight=0.0).rows.tolist()[0] == 7


def test_rrf_fusion_ranks_by_summed_reciprocal_ranks() -> None:
    vector = ranked([1, 2], [0.9, 0.8])
    full_text = ranked([2, 3], [5.0, 4.0])
    fused = fuse(vector, full_text, weight=0.5, fusion=Fusion.RRF)
    assert fused.rows.tolist() == [2, 1, 3]
    assert fused.scores[0] == pytest.approx(0.5 / 62 + 0.5 / 61)


def test_fusion_with_an_empty_list_keeps_the_other() -> None:
    vector = ranked([4, 2], [0.7, 0.3])
    fused = fuse(vector, ranked([], []), weight=0.5)
    assert fused.rows.tolist() == [4, 2]


def test_convex_fusion_of_complete_lists_keeps_the_weakest_hit_above_zero() -> None:
    # a small knowledge base: each method's list holds every chunk it scores, so its last hit
    # is scaled from the method's zero, not made worthless (it showed 0.00 and a threshold cut it)
    vector = Ranked(np.array([1, 2], np.int64), np.array([0.8, 0.4], np.float32), complete=True)
    full_text = Ranked(np.array([1, 2], np.int64), np.array([6.0, 3.0], np.float32), complete=True)
    fused = fuse(vector, full_text, weight=0.5)
    assert fused.rows.tolist() == [1, 2]
    assert fused.scores.tolist() == pytest.approx([1.0, 0.5])
    cut = fuse(ranked([1, 2], [0.8, 0.4]), ranked([1, 2], [6.0, 3.0]), weight=0.5)
    assert cut.scores.tolist() == pytest.approx([1.0, 0.0])  # lists cut at their depth


def test_top_says_whether_its_list_holds_every_row_above_the_floor() -> None:
    scores = np.array([0.5, 0.9, 0.0, 0.7], np.float32)
    valid = np.ones(4, bool)
    assert top(scores, valid, depth=3, floor=0.0).complete
    assert not top(scores, valid, depth=2, floor=0.0).complete
