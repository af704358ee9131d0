"""Fusing the dense and keyword rankings of one query.

Three methods:
- `rrf`, reciprocal rank fusion (Cormack et al., 2009): score(d) = sum over legs of weight / (k + rank(d)). Ranks
  only, so a passage that one leg ranks first and the other misses scores like one ranked 60th by both: strong
  single-leg hits are buried.
- `score`, a convex combination of scores normalised per query: the dense cosine as it is (already on a fixed
  scale), and BM25 divided by the query's best BM25 score, so each leg's best hit is worth its weight whatever the
  other leg says. A passage a leg did not return counts as that leg's weakest candidate.
- `coverage`, the same with BM25 divided by the query's highest possible BM25 instead (the sum of its
  terms' IDF, `KeywordIndex.ceiling`): how much of the question a passage matches, so BM25's best hit weighs only
  as much as it covers. A question asked in other words than the article's ("the money box won't pop open") matches
  a few incidental words, and its best BM25 hit no longer outweighs the dense leg's; a question in the KB's own
  words (or a SciFact claim) still lets BM25 decide. Better on the KB dev questions (paraphrased ones most), equal
  on SciFact train, but 0.0009 under `score` on SciFact test (0.7289 vs 0.7298), so it is a setting
  (`FLUXORI_SEARCH_FUSION=coverage`), not the default: BENCHMARKS.md.

The weights were tuned on data that is not scored (SciFact's train qrels and the KB dev questions, paraphrased ones
included), not on SciFact's test qrels or a held-out help centre: `benchmarks/retrieval_fusion.py`,
`benchmarks/kb_ranking.py`, BENCHMARKS.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class FusionConfig:
    method: Literal["rrf", "score", "coverage"] = "score"
    dense_weight: float = 0.75  # best of the grid on SciFact train (BENCHMARKS.md)
    keyword_weight: float = 0.25
    rrf_k: float = 60.0


FusionName = Literal["score", "coverage"]
# What `FLUXORI_SEARCH_FUSION` chooses. coverage 0.5 / 0.5: the middle of a plateau (0.45-0.55) on both SciFact
# train and the KB dev questions (`benchmarks/kb_ranking.py`).
FUSIONS: dict[FusionName, FusionConfig] = {"score": FusionConfig(), "coverage": FusionConfig("coverage", 0.5, 0.5)}


@dataclass(frozen=True)
class Candidate:
    """A chunk in a fused ranking, with what each leg scored it (None: not among that leg's candidates)."""

    chunk_id: str
    score: float
    dense: float | None = None
    keyword: float | None = None


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], weights: Sequence[float] | None = None, k: float = 60.0
) -> list[tuple[str, float]]:
    if k < 0:
        raise ValueError(f"the RRF constant k must be >= 0, got {k}")
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(rankings)} rankings but {len(weights)} weights")
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, doc_id in enumerate(dict.fromkeys(ranking), start=1):
            fused[doc_id] = fused.get(doc_id, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def score_fusion(
    dense: Sequence[tuple[str, float]],
    keyword: Sequence[tuple[str, float]],
    dense_weight: float,
    keyword_weight: float,
    ceiling: float | None = None,
) -> list[tuple[str, float]]:
    """Convex combination of the cosine and BM25 over `ceiling` (the query's highest possible BM25), or over the
    query's best BM25 when no ceiling is given (see the module docstring)."""
    cosine = dict(dense)
    scale = ceiling if ceiling is not None else max((s for _, s in keyword), default=0.0)
    bm25 = {i: s / scale for i, s in keyword} if scale > 0 else {}
    floor_cosine = min(cosine.values(), default=0.0)
    floor_bm25 = min(bm25.values(), default=0.0)
    fused = {
        i: dense_weight * cosine.get(i, floor_cosine) + keyword_weight * bm25.get(i, floor_bm25)
        for i in dict.fromkeys([*cosine, *bm25])
    }
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def fuse(
    dense: Sequence[tuple[str, float]],
    keyword: Sequence[tuple[str, float]],
    config: FusionConfig,
    ceiling: float | None = None,
) -> list[Candidate]:
    """`ceiling`, the query's highest possible BM25, is needed by the `coverage` method."""
    if config.method == "coverage" and ceiling is None:
        raise ValueError("coverage fusion needs the query's BM25 ceiling")
    if config.method == "rrf":
        fused = reciprocal_rank_fusion(
            [[i for i, _ in dense], [i for i, _ in keyword]], [config.dense_weight, config.keyword_weight], config.rrf_k
        )
    else:
        scale = ceiling if config.method == "coverage" else None
        fused = score_fusion(dense, keyword, config.dense_weight, config.keyword_weight, scale)
    cosine, bm25 = dict(dense), dict(keyword)
    return [Candidate(i, s, cosine.get(i), bm25.get(i)) for i, s in fused]
