"""BEIR-format evaluation of the retrieval pipeline: load a dataset, index it, rank every judged query three ways.

The corpus is indexed through the same `HybridSearchService` the product uses (same embedder with its cache, same
hnswlib index and BM25), with an in-memory chunk store (a public corpus needs no Firestore) and a fresh index in a
temporary directory, under one organisation. Each document is one chunk whose title is the BEIR title, or (with
`passages`, built by the caller from the product's chunker, since ingestion sits above retrieval) several passages;
either way documents are ranked by their best chunk, as `HybridSearchService.search` collapses its hits.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.fusion import FusionConfig, fuse
from retrieval.hybrid import HybridSearchService, Mode
from retrieval.metrics import evaluate
from retrieval.types import Chunk

EVAL_ORG = "beir-eval"
MODES: tuple[Mode, ...] = ("keyword", "dense", "hybrid")
MODE_LABELS = {"keyword": "bm25", "dense": "dense", "hybrid": "hybrid"}
# Passages for the dense leg, whole documents for BM25: the best of 0.65 / 0.75 / 0.85 on SciFact train
# (benchmarks/retrieval_fusion.py --passages; 0.65 and 0.75 tie at nDCG@10 0.7418).
WHOLE_BM25_FUSION = FusionConfig(dense_weight=0.65, keyword_weight=0.35)


class DatasetError(ValueError):
    """The directory is not a BEIR dataset (or lacks the requested split)."""


@dataclass
class BeirDataset:
    corpus: dict[str, dict[str, str]]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DatasetError(f"{path}:{number}: not JSON ({exc.msg})") from None


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            try:
                qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
            except (KeyError, TypeError, ValueError):
                raise DatasetError(f"{path}: expected columns query-id, corpus-id, score") from None
    return qrels


def load_dataset(directory: Path, split: str = "test", limit_docs: int | None = None) -> BeirDataset:
    """Read corpus, queries and one split's qrels.

    With `limit_docs`, the corpus is cut to that many documents: up to half of them are documents judged in the
    split (so that queries remain answerable), the rest are the first other documents in file order (distractors);
    qrels are restricted to the kept documents and queries left with nothing relevant are dropped.
    """
    corpus_path, queries_path, qrels_path = (
        directory / "corpus.jsonl",
        directory / "queries.jsonl",
        directory / "qrels" / f"{split}.tsv",
    )
    for path in (corpus_path, queries_path, qrels_path):
        if not path.is_file():
            raise DatasetError(f"{path} is missing: expected a BEIR dataset (corpus.jsonl, queries.jsonl, qrels/)")
    corpus = {str(d["_id"]): {"title": d.get("title") or "", "text": d.get("text") or ""} for d in _jsonl(corpus_path)}
    qrels = load_qrels(qrels_path)
    if limit_docs is not None:
        if limit_docs < 1:
            raise DatasetError(f"--limit-docs must be at least 1, got {limit_docs}")
        judged = [doc for doc in corpus if any(doc in grades for grades in qrels.values())]
        keep = set(judged[: max(1, limit_docs // 2)])
        for doc in corpus:
            if len(keep) >= limit_docs:
                break
            keep.add(doc)
        corpus = {doc: value for doc, value in corpus.items() if doc in keep}
        qrels = {q: {d: g for d, g in grades.items() if d in keep} for q, grades in qrels.items()}
    qrels = {q: grades for q, grades in qrels.items() if any(g > 0 for g in grades.values())}
    queries = {str(q["_id"]): q.get("text") or "" for q in _jsonl(queries_path)}
    qrels = {q: grades for q, grades in qrels.items() if q in queries}
    if not qrels:
        raise DatasetError(f"no query of split {split!r} has a relevant document in the indexed corpus")
    return BeirDataset(corpus, {q: queries[q] for q in qrels}, qrels)


def to_chunks(corpus: dict[str, dict[str, str]], org_id: str = EVAL_ORG) -> list[Chunk]:
    return [
        Chunk(
            chunk_id=doc_id,
            org_id=org_id,
            doc_type="kb",
            doc_id=doc_id,
            source=doc_id,
            title=doc["title"],
            text=doc["text"],
            content_hash=hashlib.sha256(doc["text"].encode()).hexdigest(),
        )
        for doc_id, doc in corpus.items()
    ]


@dataclass
class EvalReport:
    documents: int
    queries: int
    index_seconds: float
    embedded: int  # texts sent to the model (the rest came from the embedding cache)
    chunks: int  # what was indexed: one per document, or its passages
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # mode label -> metric -> value
    latency_ms: dict[str, dict[str, float]] = field(default_factory=dict)  # what was timed -> p50/p95

    @property
    def docs_per_second(self) -> float:
        return self.documents / self.index_seconds if self.index_seconds > 0 else float("inf")

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "queries": self.queries,
            "index_seconds": round(self.index_seconds, 3),
            "docs_per_second": round(self.docs_per_second, 1),
            "chunks": self.chunks,
            "embedded": self.embedded,
            "metrics": self.metrics,
            "latency_ms": self.latency_ms,
        }


def percentiles(samples: list[float]) -> dict[str, float]:
    return {"p50": float(np.percentile(samples, 50)), "p95": float(np.percentile(samples, 95))}


def index_corpus(
    service: HybridSearchService,
    chunks: list[Chunk],
    batch_size: int = 256,
    progress: Callable[[int], None] | None = None,
) -> float:
    start = time.perf_counter()
    for offset in range(0, len(chunks), batch_size):
        batch = chunks[offset : offset + batch_size]
        service.upsert_chunks(batch)
        if progress:
            progress(len(batch))
    service.corpora.get(EVAL_ORG)  # build the BM25 index now, so it counts as indexing, not as the first query
    return time.perf_counter() - start


def best_passage_ranking(ranked: list[tuple[str, float]], doc_of: dict[str, str], k: int) -> list[tuple[str, float]]:
    """Documents in the order of their best chunk (the first one ranked), with its score, at most k."""
    documents: dict[str, float] = {}
    for chunk_id, value in ranked:
        documents.setdefault(doc_of[chunk_id], value)
        if len(documents) == k:
            break
    return list(documents.items())


def rank_queries(
    service: HybridSearchService,
    queries: dict[str, str],
    k: int = 100,
    progress: Callable[[int], None] | None = None,
    depth: int | None = None,
    whole: HybridSearchService | None = None,
) -> tuple[dict[str, dict[str, list[str]]], dict[str, list[float]]]:
    """Top-k document ids per mode and query, and latencies: embedding the query, and each mode's retrieval without
    it. `depth` chunks (k by default) are ranked and collapsed to documents by their best chunk; with several
    passages per document, a larger depth keeps close to k documents.

    With `whole` (the same documents indexed one chunk each), BM25 ranks whole documents, and hybrid fuses, per
    document, the dense leg's best-passage cosine with that BM25 (WHOLE_BM25_FUSION)."""
    doc_of = {chunk_id: chunk.doc_id for chunk_id, chunk in service.corpora.get(EVAL_ORG).chunks.items()}
    runs: dict[str, dict[str, list[str]]] = {MODE_LABELS[m]: {} for m in MODES}
    timings: dict[str, list[float]] = {"query embedding": []}
    timings.update({f"{MODE_LABELS[m]} retrieval": [] for m in MODES})
    timings["hybrid end-to-end"] = []
    for query_id, text in queries.items():
        start = time.perf_counter()
        vector = service.embedder.embed_query(text)
        embedded = time.perf_counter() - start
        timings["query embedding"].append(embedded * 1000)
        legs: dict[str, list[tuple[str, float]]] = {}
        for mode in MODES:
            start = time.perf_counter()
            if whole is not None and mode == "keyword":
                documents = whole.rank(EVAL_ORG, text, k=k, mode=mode)
            elif whole is not None and mode == "hybrid":
                documents = [(c.chunk_id, c.score) for c in fuse(legs["dense"], legs["keyword"], WHOLE_BM25_FUSION)][:k]
            else:
                ranked = service.rank(EVAL_ORG, text, k=depth or k, mode=mode, query_vector=vector)
                # Fused per document, the dense leg hands over every document it found, not only k of them.
                documents = best_passage_ranking(ranked, doc_of, (depth or k) if whole is not None else k)
            elapsed = time.perf_counter() - start
            if whole is not None and mode == "hybrid":  # its legs were timed as dense and bm25
                elapsed += timings["dense retrieval"][-1] / 1000 + timings["bm25 retrieval"][-1] / 1000
            timings[f"{MODE_LABELS[mode]} retrieval"].append(elapsed * 1000)
            if mode == "hybrid":
                timings["hybrid end-to-end"].append((elapsed + embedded) * 1000)
            legs[mode] = documents
            runs[MODE_LABELS[mode]][query_id] = [doc_id for doc_id, _ in documents[:k]]
        if progress:
            progress(1)
    return runs, timings


def score_runs(runs: dict[str, dict[str, list[str]]], qrels: dict[str, dict[str, int]]) -> dict[str, dict[str, float]]:
    return {label: evaluate(run, qrels) for label, run in runs.items()}
