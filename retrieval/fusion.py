"""Reciprocal rank fusion (Cormack et al., 2009): score(d) = sum over legs of weight / (k + rank(d)), rank from 1.

Ranks, not raw scores, are fused because cosine similarities and BM25 scores live on unrelated scales; a document
found by both legs rises above one found by a single leg at a similar rank.
"""

from __future__ import annotations

from collections.abc import Sequence


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
