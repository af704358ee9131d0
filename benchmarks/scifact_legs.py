"""Three-leg fusion on SciFact, chosen on the TRAIN qrels: whole-abstract dense + passage dense (max-pooled, or max
plus a share of the second-best passage) + whole-abstract BM25 (k1, b and the title's weight varied).

    FLUXORI_DATA_DIR=/tmp/bench/data .venv/bin/python benchmarks/scifact_legs.py ../shared/datasets/scifact
    ... --test "bm25 k1=1.2 b=0.75 title=1 | whole=0.30 passage=0.40 bm25=0.30 second=0.0"   # once per choice

The legs are the product's (the configured embedder with its cache, the ingestion chunker's passages, bm25s over
`index_text`), with exact cosine: whole abstracts top-100 and passages top-200 per query, as `fluxori eval beir`
asks the index. Each leg is normalised as `retrieval.fusion.score_fusion` does (cosine as it is, BM25 over the
query's best) and a document a leg did not return gets that leg's weakest candidate score. Only train queries are
scored unless `--test` names settings; each named setting is scored on test once.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.cli_eval import passage_chunks
from app.wiring_retrieval import build_embedder
from assistant.settings import Settings
from retrieval.beir import load_dataset, to_chunks
from retrieval.keyword import KeywordIndex
from retrieval.metrics import evaluate
from retrieval.text import index_text

WHOLE_DEPTH, PASSAGE_DEPTH, BM25_DEPTH = 100, 200, 100


@dataclass(frozen=True)
class Bm25:
    k1: float = 1.5
    b: float = 0.75
    title: int = 1  # how many times the title is in the indexed text (index_text has it once)

    def __str__(self) -> str:
        return f"bm25 k1={self.k1} b={self.b} title={self.title}"


def parse(setting: str) -> tuple[Bm25, tuple[float, float, float, float]]:
    left, right = (part.strip() for part in setting.split("|"))
    bm = dict(item.split("=") for item in left.split()[1:])
    weights = dict(item.split("=") for item in right.split())
    return Bm25(float(bm["k1"]), float(bm["b"]), int(bm["title"])), (
        float(weights["whole"]),
        float(weights["passage"]),
        float(weights["bm25"]),
        float(weights["second"]),
    )


class Legs:
    def __init__(self, dataset: Path) -> None:
        train = load_dataset(dataset, "train")
        self.corpus = train.corpus
        self.embedder = build_embedder(Settings())
        whole = to_chunks(self.corpus)
        passages = passage_chunks(self.corpus)
        self.whole_ids = [c.chunk_id for c in whole]
        self.whole_texts = [index_text(c) for c in whole]
        self.titles = [c.title for c in whole]
        self.passage_doc = [c.doc_id for c in passages]
        self.whole = np.asarray(self.embedder.embed_documents(self.whole_texts), dtype=np.float32)
        print(f"embedded {len(whole)} abstracts", flush=True)
        self.passages = np.asarray(self.embedder.embed_documents([index_text(c) for c in passages]), np.float32)
        print(f"embedded {len(passages)} passages", flush=True)
        self.keyword: dict[Bm25, KeywordIndex] = {}

    def bm25(self, config: Bm25) -> KeywordIndex:
        if config not in self.keyword:
            texts = [
                ("\n".join([t] * (config.title - 1)) + "\n" + x).strip()
                for t, x in zip(self.titles, self.whole_texts, strict=True)
            ]
            self.keyword[config] = KeywordIndex(self.whole_ids, ["kb"] * len(texts), texts, k1=config.k1, b=config.b)
        return self.keyword[config]

    def dense(self, queries: dict[str, str]) -> dict[str, tuple[dict[str, float], dict[str, float], dict[str, float]]]:
        """Per query: whole-abstract cosine (top 100), best and second-best passage cosine per document (top 200)."""
        vectors = np.asarray(self.embedder.embed_documents(list(queries.values())), dtype=np.float32)
        out = {}
        for query_id, vector in zip(queries, vectors, strict=True):
            scores = self.whole @ vector
            top = np.argsort(-scores)[:WHOLE_DEPTH]
            whole = {self.whole_ids[i]: float(scores[i]) for i in top}
            scores = self.passages @ vector
            best: dict[str, float] = {}
            second: dict[str, float] = {}
            for i in np.argsort(-scores)[:PASSAGE_DEPTH]:
                doc = self.passage_doc[i]
                if doc not in best:
                    best[doc] = float(scores[i])
                elif doc not in second:
                    second[doc] = float(scores[i])
            out[query_id] = (whole, best, second)
        return out

    def features(self, queries: dict[str, str], config: Bm25, dense: dict) -> dict[str, tuple[list[str], np.ndarray]]:
        """Per query: candidate documents and their (whole cosine, best passage, second passage, BM25/max)."""
        keyword = self.bm25(config)
        out = {}
        for query_id, text in queries.items():
            whole, best, second = dense[query_id]
            bm25 = dict(keyword.search(text, BM25_DEPTH))
            top = max(bm25.values(), default=0.0)
            bm25 = {d: s / top for d, s in bm25.items()} if top > 0 else {}
            ids = list(dict.fromkeys([*whole, *best, *bm25]))
            floors = [min(leg.values(), default=0.0) for leg in (whole, best, bm25)]
            rows = [
                (
                    whole.get(d, floors[0]),
                    best.get(d, floors[1]),
                    second.get(d, best.get(d, floors[1])),  # one passage (or its second unseen): the best again
                    bm25.get(d, floors[2]),
                )
                for d in ids
            ]
            out[query_id] = (ids, np.asarray(rows, dtype=np.float32))
        return out


def score(features: dict, weights: tuple[float, float, float, float], qrels: dict) -> dict[str, float]:
    whole, passage, bm25, second = weights
    vector = np.array([whole, passage, passage * second, bm25], dtype=np.float32)
    run = {}
    for query_id in qrels:
        ids, rows = features[query_id]
        run[query_id] = [ids[i] for i in np.argsort(-(rows @ vector), kind="stable")[:100]]
    return evaluate(run, qrels)


def weight_grid() -> list[tuple[float, float, float, float]]:
    grid = []
    steps = [round(x * 0.05, 2) for x in range(21)]
    for whole, passage in itertools.product(steps, steps):
        bm25 = round(1 - whole - passage, 2)
        if 0.15 <= bm25 <= 0.5:
            for second in (0.0, 0.1, 0.2, 0.3) if passage > 0 else (0.0,):
                grid.append((whole, passage, bm25, second))
    return grid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--test", action="append", default=[], help="score this setting on test (once per choice)")
    parser.add_argument("--no-grid", action="store_true", help="skip the train grid (only score the --test settings)")
    args = parser.parse_args()
    legs = Legs(args.dataset)
    train = load_dataset(args.dataset, "train")
    dense = legs.dense(train.queries)
    configs = (
        []
        if args.no_grid
        else [Bm25()]
        + [
            Bm25(k1, b, title)
            for k1, b, title in itertools.product((0.9, 1.2, 1.5), (0.6, 0.75, 0.9), (1, 2, 3))
            if (k1, b, title) != (1.5, 0.75, 1)
        ]
    )
    results = {}
    for config in configs:
        features = legs.features(train.queries, config, dense)
        best = None
        for weights in weight_grid():
            values = score(features, weights, train.qrels)
            results[(config, weights)] = values
            if best is None or values["ndcg@10"] > best[1]["ndcg@10"]:
                best = (weights, values)
        two_leg = results[(config, (0.75, 0.0, 0.25, 0.0))]["ndcg@10"]
        print(f"{config}: best {best[0]} nDCG@10 {best[1]['ndcg@10']:.4f}; whole 0.75/0.25: {two_leg:.4f}", flush=True)
    if results:
        print(f"TRAIN ({len(train.qrels)} queries), best 25 of {len(results)} settings:")
    for (config, (w, p, k, s)), values in sorted(results.items(), key=lambda item: -item[1]["ndcg@10"])[:25]:
        print(
            f"  {config} | whole={w:.2f} passage={p:.2f} bm25={k:.2f} second={s}: "
            f"nDCG@10 {values['ndcg@10']:.4f}  MRR@10 {values['mrr@10']:.4f}"
        )
    if args.test:
        test = load_dataset(args.dataset, "test")
        test_dense = legs.dense(test.queries)
        for setting in args.test:
            config, weights = parse(setting)
            values = score(legs.features(test.queries, config, test_dense), weights, test.qrels)
            train_values = score(legs.features(train.queries, config, dense), weights, train.qrels)
            print(
                f"TEST once: {setting}: nDCG@10 {values['ndcg@10']:.4f}  Recall@100 {values['recall@100']:.4f}  "
                f"MRR@10 {values['mrr@10']:.4f} (train {train_values['ndcg@10']:.4f})"
            )


if __name__ == "__main__":
    main()
