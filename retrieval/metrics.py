"""IR metrics with the standard (BEIR / pytrec_eval) definitions, graded relevance as given in the qrels.

- nDCG@k: DCG = sum_{i=1..k} rel_i / log2(i + 1) (linear gain, as trec_eval and BEIR use), divided by the DCG of
  the ideal ordering of the query's judged documents; documents judged 0 count as not relevant.
- Recall@k: |relevant in top k| / |relevant| where relevant means a grade > 0.
- MRR@k: 1 / rank of the first relevant document within the top k, else 0.
Per-query values are averaged over the queries that have at least one relevant judgement.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

Qrels = Mapping[str, Mapping[str, int]]  # query id -> doc id -> grade
Run = Mapping[str, Sequence[str]]  # query id -> ranked doc ids


def ndcg_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    dcg = sum(grades.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if grades.get(doc, 0) > 0)
    ideal = sorted((g for g in grades.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    relevant = {doc for doc, grade in grades.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def mrr_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    for i, doc in enumerate(ranked[:k]):
        if grades.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def evaluate(run: Run, qrels: Qrels) -> dict[str, float]:
    """Mean nDCG@10, Recall@100 and MRR@10 over the judged queries (a query missing from `run` scores 0)."""
    judged = [q for q, grades in qrels.items() if any(g > 0 for g in grades.values())]
    if not judged:
        raise ValueError("the qrels judge no document relevant: nothing to evaluate")
    totals = {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    for query_id in judged:
        ranked, grades = list(dict.fromkeys(run.get(query_id, []))), qrels[query_id]
        totals["ndcg@10"] += ndcg_at_k(ranked, grades, 10)
        totals["recall@100"] += recall_at_k(ranked, grades, 100)
        totals["mrr@10"] += mrr_at_k(ranked, grades, 10)
    return {name: value / len(judged) for name, value in totals.items()}
