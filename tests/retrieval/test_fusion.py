"""Score fusion keeps a strong single-leg hit where reciprocal rank fusion buries it (the issue's three queries
where only the dense leg found the answer)."""

from __future__ import annotations

import pytest

from retrieval.fusion import FUSIONS, FusionConfig, fuse, reciprocal_rank_fusion, score_fusion

# The dense leg is sure of "answer" (cosine 0.82, far ahead); BM25 never returns it but agrees on two others.
DENSE = [("answer", 0.82), ("b", 0.41), ("c", 0.40), ("d", 0.39)]
KEYWORD = [("b", 9.0), ("c", 8.5), ("e", 8.0), ("d", 7.0)]


def test_rrf_buries_a_dense_only_hit() -> None:
    fused = [i for i, _ in reciprocal_rank_fusion([[i for i, _ in DENSE], [i for i, _ in KEYWORD]])]
    assert fused.index("answer") > 0


def test_score_fusion_keeps_it_first() -> None:
    assert score_fusion(DENSE, KEYWORD, 0.75, 0.25)[0][0] == "answer"
    ranked = fuse(DENSE, KEYWORD, FusionConfig())
    assert ranked[0].chunk_id == "answer" and ranked[0].dense == 0.82 and ranked[0].keyword is None
    assert {c.chunk_id for c in ranked} == {"answer", "b", "c", "d", "e"}  # nothing found by a leg is lost


def test_a_keyword_only_hit_far_ahead_is_kept_too() -> None:
    dense = [("x", 0.45), ("y", 0.44), ("z", 0.43)]
    keyword = [("code-match", 20.0), ("x", 3.0)]
    assert score_fusion(dense, keyword, 0.75, 0.25)[0][0] == "code-match"


def test_empty_legs() -> None:
    assert score_fusion([], [], 0.75, 0.25) == []
    assert [i for i, _ in score_fusion([], [("a", 2.0)], 0.75, 0.25)] == ["a"]


# A question in other words than its article's: BM25's best passage matches one incidental word of it (2.0 of a
# possible 10.0), the dense leg prefers the answer.
PARAPHRASE_DENSE = [("answer", 0.66), ("incidental", 0.50)]
PARAPHRASE_KEYWORD = [("incidental", 2.0), ("other", 1.0)]


def test_coverage_fusion_weighs_bm25_by_how_much_of_the_question_it_matches() -> None:
    by_best = fuse(PARAPHRASE_DENSE, PARAPHRASE_KEYWORD, FusionConfig("score", 0.5, 0.5))
    assert by_best[0].chunk_id == "incidental"  # over the best BM25, a weak match is worth as much as a perfect one
    by_ceiling = fuse(PARAPHRASE_DENSE, PARAPHRASE_KEYWORD, FUSIONS["coverage"], ceiling=10.0)
    assert by_ceiling[0].chunk_id == "answer" and by_ceiling[0].keyword is None
    assert by_ceiling[0].score == pytest.approx(0.5 * 0.66 + 0.5 * 0.1)  # not found by BM25: its weakest, 1.0 / 10


def test_coverage_fusion_lets_a_passage_matching_most_of_the_question_win() -> None:
    dense = [("near", 0.66), ("exact", 0.58)]
    keyword = [("exact", 8.0), ("other", 1.0)]
    assert fuse(dense, keyword, FUSIONS["coverage"], ceiling=10.0)[0].chunk_id == "exact"


def test_coverage_fusion_needs_the_ceiling() -> None:
    with pytest.raises(ValueError, match="ceiling"):
        fuse(DENSE, KEYWORD, FUSIONS["coverage"])
    assert [c.chunk_id for c in fuse(DENSE, [], FUSIONS["coverage"], ceiling=0.0)] == [i for i, _ in DENSE]
