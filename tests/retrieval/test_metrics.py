"""The metric and fusion maths on examples computed by hand."""

from __future__ import annotations

import math

import pytest

from retrieval.fusion import reciprocal_rank_fusion
from retrieval.metrics import evaluate, mrr_at_k, ndcg_at_k, recall_at_k


def test_ndcg_graded_by_hand() -> None:
    grades = {"a": 2, "b": 1, "z": 0}
    # ranked: x (0), a (2), b (1): DCG = 2/log2(3) + 1/log2(4) = 1.26186 + 0.5
    # ideal: a, b: IDCG = 2/log2(2) + 1/log2(3) = 2 + 0.63093
    expected = (2 / math.log2(3) + 1 / 2) / (2 + 1 / math.log2(3))
    assert ndcg_at_k(["x", "a", "b"], grades, 10) == pytest.approx(expected)
    assert ndcg_at_k(["a", "b"], grades, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["z", "x"], grades, 10) == 0.0
    # cut-off: the relevant document at rank 3 does not count at k=2
    assert ndcg_at_k(["x", "y", "a"], {"a": 1}, 2) == 0.0


def test_recall_and_mrr_by_hand() -> None:
    grades = {"a": 1, "b": 1, "c": 1, "z": 0}
    assert recall_at_k(["a", "x", "c", "z"], grades, 100) == pytest.approx(2 / 3)
    assert recall_at_k(["x", "a"], grades, 1) == 0.0
    assert mrr_at_k(["z", "x", "b"], grades, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["x"] * 10 + ["a"], grades, 10) == 0.0


def test_evaluate_averages_judged_queries_and_ignores_duplicates() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 0}}  # q3 has nothing relevant: not averaged
    run = {"q1": ["a", "a"], "q2": ["x", "b"]}
    result = evaluate(run, qrels)
    assert result["mrr@10"] == pytest.approx((1 + 0.5) / 2)
    assert result["recall@100"] == pytest.approx(1.0)
    assert result["ndcg@10"] == pytest.approx((1 + 1 / math.log2(3)) / 2)
    with pytest.raises(ValueError, match="no document relevant"):
        evaluate(run, {"q": {"a": 0}})


def test_reciprocal_rank_fusion_by_hand() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "b"], ["b", "c"]], k=60))
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["c"] == pytest.approx(1 / 62)
    assert [d for d, _ in reciprocal_rank_fusion([["a", "b"], ["b", "c"]], k=60)] == ["b", "a", "c"]
    weighted = dict(reciprocal_rank_fusion([["a"], ["c"]], weights=[1.0, 2.0], k=0))
    assert weighted == {"a": 1.0, "c": 2.0}
    with pytest.raises(ValueError, match="2 rankings but 1 weights"):
        reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0])
