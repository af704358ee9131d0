"""Fusing the dense and keyword rankings of one query.

Two methods:
- `rrf`, reciprocal rank fusion (Cormack et al., 2009): score(d) = sum over legs of weight / (k + rank(d)). Ranks
  only, so a passage that one leg ranks first and the other misses scores like one ranked 60th by both: strong
  single-leg hits are buried.
- `score` (the default), a convex combination of scores normalised per query: the dense cosine as it is (already
  on a fixed scale), and BM25 divided by the query's best BM25 score, so each leg's best hit is worth its weight
  whatever the other leg says. A passage a leg did not return counts as that leg's weakest candidate.

The weights were tuned on data that is not scored (SciFact's train qrels and the demo KB dev queries), not on
SciFact's test qrels or the foreign-KB test queries: `benchmarks/retrieval_fusion.py`, BENCHMARKS.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class FusionConfig:
    method: Literal["rrf", "score"] = "score"
    dense_weight: float = 0.75  # best of the grid on SciFact train (BENCHMARKS.md)
    keyword_weight: float = 0.25
    rrf_k: float = 60.0


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
    dense: Sequence[tuple[str, float]], keyword: Sequence[tuple[str, float]], dense_weight: float, keyword_weight: float
) -> list[tuple[str, float]]:
    """Convex combination of the cosine and the max-normalised BM25 score (see the module docstring)."""
    cosine = dict(dense)
    best = max((s for _, s in keyword), default=0.0)
    bm25 = {i: s / best for i, s in keyword} if best > 0 else {}
    floor_cosine = min(cosine.values(), default=0.0)
    floor_bm25 = min(bm25.values(), default=0.0)
    fused = {
        i: dense_weight * cosine.get(i, floor_cosine) + keyword_weight * bm25.get(i, floor_bm25)
        for i in dict.fromkeys([*cosine, *bm25])
    }
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def fuse(
    dense: Sequence[tuple[str, float]], keyword: Sequence[tuple[str, float]], config: FusionConfig
) -> list[Candidate]:
    if config.method == "rrf":
        fused = reciprocal_rank_fusion(
            [[i for i, _ in dense], [i for i, _ in keyword]], [config.dense_weight, config.keyword_weight], config.rrf_k
        )
    else:
        fused = score_fusion(dense, keyword, config.dense_weight, config.keyword_weight)
    cosine, bm25 = dict(dense), dict(keyword)
    return [Candidate(i, s, cosine.get(i), bm25.get(i)) for i, s in fused]
