"""Tune the fusion of the dense and BM25 legs on SciFact's TRAIN qrels, then score the chosen setting once on TEST.

    FLUXORI_DATA_DIR=/tmp/bench/data .venv/bin/python benchmarks/retrieval_fusion.py ../shared/datasets/scifact

The legs are the product's (the configured embedder with its cache, bm25s over `index_text`); dense candidates are
exact cosine top-100 here (hnswlib's recall@10 is 0.99, BENCHMARKS.md), so each setting costs a few milliseconds
per query and a grid is cheap. Only train queries choose the setting; test queries are scored after the choice,
for the chosen setting and the old default (RRF k=60, equal weights), and nothing else.

`--passages` compares instead whole abstracts with the product's passages (`fluxori eval beir --passages`: the
ingestion chunker, documents ranked by their best passage), and passages for the dense leg with whole abstracts for
BM25 (fused per document), each at three dense weights; test is scored once, for the best on train and the default.
`--coverage` compares `coverage` fusion (BM25 over the query's highest possible BM25) with `score`, on train only.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.cli_eval import passage_chunks
from app.wiring_retrieval import build_embedder
from assistant.settings import Settings
from retrieval.beir import load_dataset, to_chunks
from retrieval.fusion import FusionConfig, fuse, reciprocal_rank_fusion, score_fusion
from retrieval.keyword import KeywordIndex
from retrieval.metrics import evaluate
from retrieval.text import index_text

DEPTH = 100
Legs = tuple[list[tuple[str, float]], list[tuple[str, float]]]
Fuser = Callable[[Legs], list[str]]


def legs_for(
    queries: dict[str, str], ids: list[str], matrix: np.ndarray, keyword: KeywordIndex, embedder, depth: int = DEPTH
) -> dict:
    vectors = embedder.embed_documents(list(queries.values()))  # cached by content, like the corpus
    out = {}
    for (query_id, text), vector in zip(queries.items(), vectors, strict=True):
        scores = matrix @ vector
        top = np.argsort(-scores)[:depth]
        out[query_id] = ([(ids[i], float(scores[i])) for i in top], keyword.search(text, depth))
    return out


def minmax(leg: list[tuple[str, float]]) -> dict[str, float]:
    if not leg:
        return {}
    values = [s for _, s in leg]
    low, high = min(values), max(values)
    return {i: (s - low) / (high - low) if high > low else 1.0 for i, s in leg}


def minmax_fusion(alpha: float) -> Fuser:
    def fuse(legs: Legs) -> list[str]:
        dense, bm25 = minmax(legs[0]), minmax(legs[1])
        ids = dict.fromkeys([*dense, *bm25])
        return sorted(ids, key=lambda i: -(alpha * dense.get(i, 0.0) + (1 - alpha) * bm25.get(i, 0.0)))

    return fuse


def maxmax_fusion(alpha: float) -> Fuser:
    """Both legs divided by their best score for the query."""

    def fuse(legs: Legs) -> list[str]:
        top_d = max((s for _, s in legs[0]), default=1.0) or 1.0
        top_k = max((s for _, s in legs[1]), default=1.0) or 1.0
        dense = {i: s / top_d for i, s in legs[0]}
        bm25 = {i: s / top_k for i, s in legs[1]}
        floor_d, floor_k = min(dense.values(), default=0.0), min(bm25.values(), default=0.0)
        ids = dict.fromkeys([*dense, *bm25])
        return sorted(ids, key=lambda i: -(alpha * dense.get(i, floor_d) + (1 - alpha) * bm25.get(i, floor_k)))

    return fuse


def settings() -> dict[str, Fuser]:
    grid: dict[str, Fuser] = {}
    for alpha in (0.55, 0.65, 0.75):
        grid[f"score dense={alpha}"] = lambda legs, a=alpha: [i for i, _ in score_fusion(legs[0], legs[1], a, 1 - a)]
    for alpha in (0.3, 0.4, 0.5, 0.6, 0.7):
        grid[f"maxmax dense={alpha}"] = maxmax_fusion(alpha)
    for k in (5, 10, 20, 40, 60, 100):
        for w in (0.3, 0.4, 0.5, 0.6, 0.7):
            grid[f"rrf k={k} dense={w}"] = lambda legs, k=k, w=w: [
                i for i, _ in reciprocal_rank_fusion([[i for i, _ in legs[0]], [i for i, _ in legs[1]]], [w, 1 - w], k)
            ]
    for alpha in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        grid[f"score dense={alpha}"] = lambda legs, a=alpha: [i for i, _ in score_fusion(legs[0], legs[1], a, 1 - a)]
        grid[f"minmax dense={alpha}"] = minmax_fusion(alpha)
    return grid


PASSAGE_DEPTH = 200  # passages per leg, as `fluxori eval beir --passages` asks (retrieval.hybrid.MAX_K)


def best_per_doc(leg: list[tuple[str, float]], doc_of: dict[str, str]) -> list[tuple[str, float]]:
    """A passage ranking as a document ranking: each document scored by its best passage."""
    best: dict[str, float] = {}
    for chunk_id, value in leg:
        best.setdefault(doc_of[chunk_id], value)
    return list(best.items())


def passage_variants(dataset: Path) -> None:
    train, test = load_dataset(dataset, "train"), load_dataset(dataset, "test")
    embedder = build_embedder(Settings())
    whole, passages = to_chunks(train.corpus), passage_chunks(train.corpus)
    doc_of = {c.chunk_id: c.doc_id for c in passages}
    print(f"{len(whole)} abstracts, {len(passages)} passages", flush=True)
    indexes = {}
    for name, chunks in (("whole", whole), ("passages", passages)):
        ids, texts = [c.chunk_id for c in chunks], [index_text(c) for c in chunks]
        matrix = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
        indexes[name] = (ids, matrix, KeywordIndex(ids, ["kb"] * len(ids), texts))
        print(f"embedded {name}", flush=True)

    def legs(queries: dict[str, str]) -> dict[str, dict]:
        return {
            "whole": legs_for(queries, *indexes["whole"], embedder),
            "passages": legs_for(queries, *indexes["passages"], embedder, PASSAGE_DEPTH),
        }

    def run(all_legs: dict[str, dict], variant: str, alpha: float, qrels: dict) -> dict[str, float]:
        ranked = {}
        for q in qrels:
            if variant == "whole":
                dense, bm25 = all_legs["whole"][q]
                ranked[q] = [i for i, _ in score_fusion(dense, bm25, alpha, 1 - alpha)][:DEPTH]
            elif variant == "passages":
                dense, bm25 = all_legs["passages"][q]
                fused = score_fusion(dense, bm25, alpha, 1 - alpha)
                ranked[q] = [d for d, _ in best_per_doc(fused, doc_of)][:DEPTH]
            else:  # passages for the dense leg, whole abstracts for BM25
                dense = best_per_doc(all_legs["passages"][q][0], doc_of)
                ranked[q] = [i for i, _ in score_fusion(dense, all_legs["whole"][q][1], alpha, 1 - alpha)][:DEPTH]
        return evaluate(ranked, qrels)

    variants = ("whole", "passages", "passage dense + whole bm25")
    train_legs = legs(train.queries)
    results = {(v, a): run(train_legs, v, a, train.qrels) for v in variants for a in (0.65, 0.75, 0.85)}
    print(f"TRAIN ({len(train.qrels)} queries):")
    for (v, a), values in results.items():
        print(f"  {v:28s} dense={a}: nDCG@10 {values['ndcg@10']:.4f}  MRR@10 {values['mrr@10']:.4f}")
    chosen = max(results, key=lambda key: results[key]["ndcg@10"])
    test_legs = legs(test.queries)
    print(f"TEST ({len(test.qrels)} queries), scored once after the choice:")
    for v, a in dict.fromkeys([chosen, ("whole", 0.75)]):
        values = run(test_legs, v, a, test.qrels)
        print(
            f"  {v:28s} dense={a}: nDCG@10 {values['ndcg@10']:.4f}  Recall@100 {values['recall@100']:.4f}  "
            f"MRR@10 {values['mrr@10']:.4f}"
        )


def coverage_variants(dataset: Path) -> None:
    """`retrieval.fusion`'s coverage fusion at a few weights against score fusion, on TRAIN only (the KB side of the
    choice is `benchmarks/kb_ranking.py`; test is scored by `fluxori eval beir` with FLUXORI_SEARCH_FUSION)."""
    train = load_dataset(dataset, "train")
    chunks = to_chunks(train.corpus)
    ids, texts = [c.chunk_id for c in chunks], [index_text(c) for c in chunks]
    embedder = build_embedder(Settings())
    matrix = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    keyword = KeywordIndex(ids, ["kb"] * len(ids), texts)
    legs = legs_for(train.queries, ids, matrix, keyword, embedder)
    ceilings = {q: keyword.ceiling(train.queries[q]) for q in train.qrels}
    print(f"TRAIN ({len(train.qrels)} queries):")
    for name, config in [
        *((f"score dense={w}", FusionConfig("score", w, 1 - w)) for w in (0.75, 0.8, 0.85)),
        *((f"coverage dense={w}", FusionConfig("coverage", w, 1 - w)) for w in (0.4, 0.45, 0.5, 0.55, 0.6)),
    ]:
        run = {q: [c.chunk_id for c in fuse(*legs[q], config, ceilings[q])][:DEPTH] for q in train.qrels}
        print(f"  {name:24s} nDCG@10 {evaluate(run, train.qrels)['ndcg@10']:.4f}", flush=True)


def score(fuser: Fuser, legs: dict, qrels: dict) -> dict[str, float]:
    return evaluate({q: fuser(legs[q])[:DEPTH] for q in qrels}, qrels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path)
    parser.add_argument(
        "--bm25-grid", action="store_true", help="also tune BM25's k1 and b (with the best fusion) on train"
    )
    parser.add_argument("--passages", action="store_true", help="whole abstracts versus the product's passages")
    parser.add_argument(
        "--coverage", action="store_true", help="TRAIN only: coverage fusion (BM25 over the query's ceiling) vs score"
    )
    args = parser.parse_args()
    if args.passages:
        passage_variants(args.dataset)
        return
    if args.coverage:
        coverage_variants(args.dataset)
        return
    train = load_dataset(args.dataset, "train")
    test = load_dataset(args.dataset, "test")
    chunks = to_chunks(train.corpus)
    ids = [c.chunk_id for c in chunks]
    texts = [index_text(c) for c in chunks]
    embedder = build_embedder(Settings())
    matrix = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    keyword = KeywordIndex(ids, ["kb"] * len(ids), texts)
    train_legs = legs_for(train.queries, ids, matrix, keyword, embedder)
    results = {name: score(fuser, train_legs, train.qrels) for name, fuser in settings().items()}
    print(f"TRAIN ({len(train.qrels)} queries): nDCG@10 per setting, best first")
    ranked = sorted(results.items(), key=lambda item: -item[1]["ndcg@10"])
    for name, values in ranked[:12]:
        print(f"  {name:24s} nDCG@10 {values['ndcg@10']:.4f}  MRR@10 {values['mrr@10']:.4f}")
    print(f"  {'rrf k=60 dense=0.5':24s} nDCG@10 {results['rrf k=60 dense=0.5']['ndcg@10']:.4f}  (old default)")
    chosen = ranked[0][0]
    if args.bm25_grid:
        fuser = settings()[chosen]
        print(f"BM25 k1/b on TRAIN with {chosen}:")
        for k1, b in itertools.product((0.9, 1.2, 1.5, 2.0), (0.5, 0.75, 0.9)):
            other = KeywordIndex(ids, ["kb"] * len(ids), texts, k1=k1, b=b)
            legs = {q: (dense, other.search(train.queries[q], DEPTH)) for q, (dense, _) in train_legs.items()}
            print(f"  k1={k1} b={b}: nDCG@10 {score(fuser, legs, train.qrels)['ndcg@10']:.4f}")
    test_legs = legs_for(test.queries, ids, matrix, keyword, embedder)
    grid = settings()
    print(f"TEST ({len(test.qrels)} queries), scored once after the choice:")
    for name in (chosen, "rrf k=60 dense=0.5"):
        values = score(grid[name], test_legs, test.qrels)
        print(
            f"  {name:24s} nDCG@10 {values['ndcg@10']:.4f}  Recall@100 {values['recall@100']:.4f}  "
            f"MRR@10 {values['mrr@10']:.4f}"
        )


if __name__ == "__main__":
    main()
