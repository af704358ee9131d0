"""Ranking variants for the knowledge-base search, scored on the DEV questions of `kb_eval.py` only (demo, foreign,
POS manual; splits dev, para and the used foreign test half). The courier help centre is neither indexed nor
searched here: it is the held-out test, scored once by `kb_eval.py --test` after the choice.

Each question's two legs (dense cosine and BM25, 100 passages each) are computed once, then re-fused under each
variant: fusion weights (`score`: BM25 over the query's best; `coverage`: BM25 over its ceiling, and powers of that
share), RRF, and a document score (best passage + a bonus for the document's second passage).

    FLUXORI_DATA_DIR=/tmp/bench/data .venv/bin/python benchmarks/kb_ranking.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from kb_eval import CORPORA, index_folder, is_dev  # noqa: E402

from app.wiring_retrieval import build_embedder  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from retrieval.chunk_store import InMemoryChunkStore  # noqa: E402
from retrieval.dense_local import LocalVectorIndex  # noqa: E402
from retrieval.fusion import FusionConfig, fuse, score_fusion  # noqa: E402
from retrieval.hybrid import HybridSearchService  # noqa: E402

DEPTH = 100


@dataclass
class Question:
    corpus: str
    split: str
    query: str
    expected: str
    dense: list[tuple[str, float]]
    keyword: list[tuple[str, float]]
    ceiling: float  # the query's highest possible BM25 (`KeywordIndex.ceiling`)


def documents(service: HybridSearchService, org: str, fused: list[tuple[str, float]], second: float) -> list[str]:
    """Doc ids best first: a document scores its best passage + `second` x its second best."""
    chunks = service.corpora.get(org).chunks
    best: dict[str, list[float]] = {}
    for chunk_id, score in fused:
        best.setdefault(chunks[chunk_id].doc_id, []).append(score)
    scored = {d: s[0] + second * (s[1] if len(s) > 1 else 0.0) for d, s in best.items()}
    return sorted(scored, key=lambda d: -scored[d])


def coverage_fusion(q: Question, w: float, p: float) -> list[tuple[str, float]]:
    """w x cosine + (1 - w) x BM25 / the query's best BM25 x (best / ceiling) ** p: BM25 weighs as much as the
    share of the query its best passage matches. p=1 is `retrieval.fusion`'s `coverage` (BM25 over the ceiling)."""
    best = max((s for _, s in q.keyword), default=0.0)
    if p == 1.0 or best <= 0:
        fused = fuse(q.dense, q.keyword, FusionConfig("coverage", w, 1 - w), q.ceiling)
        return [(c.chunk_id, c.score) for c in fused]
    scale = (best / q.ceiling) ** p
    return score_fusion(q.dense, [(i, s / best * scale) for i, s in q.keyword], w, 1 - w, ceiling=1.0)


def score(ranked: list[list[str]], questions: list[Question]) -> tuple[float, float]:
    ranks = [r.index(q.expected) + 1 if q.expected in r[:10] else None for r, q in zip(ranked, questions, strict=True)]
    n = len(ranks)
    return sum(r == 1 for r in ranks) / n, sum(1 / r for r in ranks if r) / n


def main() -> None:
    embedder = build_embedder(Settings())
    dev = {org: paths for org, paths in CORPORA.items() if org != "courier"}
    with tempfile.TemporaryDirectory(prefix="fluxori-kb-ranking-") as tmp:
        service = HybridSearchService(InMemoryChunkStore(), embedder, LocalVectorIndex(Path(tmp), embedder.dim))
        for org, (folder, _) in dev.items():
            index_folder(service, org, folder)
        questions = []
        for org, (_, path) in dev.items():
            for row in map(json.loads, path.read_text().splitlines()):
                if row["doc"] and is_dev(org, row["split"]):
                    d = service.rank(org, row["query"], DEPTH, "kb", "dense", audiences=None)
                    k = service.rank(org, row["query"], DEPTH, "kb", "keyword", audiences=None)
                    ceiling = service.corpora.get(org).keyword.ceiling(row["query"])
                    questions.append(Question(org, row["split"], row["query"], row["doc"], d, k, ceiling))

        def report(name: str, rank: Callable[[Question], list[str]]) -> None:
            ranked = [rank(q) for q in questions]
            cells = []
            for label, keep in (
                ("all", lambda q: True),
                ("para", lambda q: q.split == "para"),
                ("demo", lambda q: q.corpus == "demo"),
                ("foreign", lambda q: q.corpus == "foreign"),
                ("pos", lambda q: q.corpus == "pos"),
            ):
                pairs = [(r, q) for r, q in zip(ranked, questions, strict=True) if keep(q)]
                h, m = score([r for r, _ in pairs], [q for _, q in pairs])
                cells.append(f"{label} {h:.3f}/{m:.3f}")
            print(f"{name:32s} " + "  ".join(cells), flush=True)

        print(f"{len(questions)} answerable dev questions; hit@1/MRR@10 per group")
        for w in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0):
            for second in (0.0, 0.1, 0.2):
                config = FusionConfig("score", w, 1 - w)
                report(
                    f"score w={w} second={second}",
                    lambda q, c=config, s=second: documents(
                        service, q.corpus, [(x.chunk_id, x.score) for x in fuse(q.dense, q.keyword, c)], s
                    ),
                )
        for w in (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.75, 0.8):
            for p in (0.5, 1.0, 1.5):
                for second in (0.0, 0.1):
                    report(
                        f"coverage w={w} p={p} second={second}",
                        lambda q, w=w, p=p, s=second: documents(service, q.corpus, coverage_fusion(q, w, p), s),
                    )
        for k in (10, 30, 60):
            config = FusionConfig("rrf", 1.0, 1.0, k)
            report(
                f"rrf k={k}",
                lambda q, c=config: documents(
                    service, q.corpus, [(x.chunk_id, x.score) for x in fuse(q.dense, q.keyword, c)], 0.0
                ),
            )


if __name__ == "__main__":
    main()
