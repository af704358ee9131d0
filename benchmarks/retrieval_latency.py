"""Query latency of the search service with 100,000 chunks of one organisation in the local index.

Measures `HybridSearchService.rank` (what every search runs: hnswlib query of the organisation's graphs, BM25 over the
organisation's keyword index, score fusion) with the query vector given, i.e. retrieval excluding the
query embedding, which is reported separately (all-MiniLM-L6-v2 on the CPU, one query at a time). The in-run
baseline is exact dense search by numpy over the same 100,000 vectors (one matrix-vector product), so the ratio
survives a noisy machine.

Corpus: 100,000 chunks whose text is drawn from SciFact sentences (`../shared/datasets/scifact`, two sentences per
chunk), so BM25 sees real vocabulary and posting-list lengths; queries are SciFact's test claims. Embedding 100,000
passages would take over an hour on 2 cores and says nothing about the index, so document vectors are a clustered
Gaussian mixture (as in `retrieval_ann.py`) and each query vector lies near one of the centres.

Run: `.venv/bin/python benchmarks/retrieval_latency.py [--n 100000] [--queries 300]` (about 3 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retrieval.chunk_store import InMemoryChunkStore  # noqa: E402
from retrieval.dense_local import LocalVectorIndex  # noqa: E402
from retrieval.fusion import FUSIONS  # noqa: E402
from retrieval.hybrid import HybridConfig, HybridSearchService  # noqa: E402
from retrieval.types import Chunk  # noqa: E402

DIM = 384
ORG = "bench"
# ../shared next to the repository; FLUXORI_SCIFACT names another copy (e.g. from a worktree in a subfolder).
SCIFACT = Path(os.environ.get("FLUXORI_SCIFACT", ROOT.parent / "shared" / "datasets" / "scifact"))


class MixtureEmbedder:
    """Clustered unit vectors in place of a model (see the module docstring); only used to build the index."""

    name = "mixture-384"
    dim = DIM

    def __init__(self, centres: int = 5000, seed: int = 7) -> None:
        rng = np.random.default_rng(seed)
        self.centres = rng.normal(size=(centres, DIM)).astype(np.float32)
        self.rng = rng

    def _near(self, count: int) -> np.ndarray:
        picks = self.rng.integers(0, len(self.centres), count)
        vectors = self.centres[picks] + self.rng.normal(size=(count, DIM)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._near(len(texts))

    def embed_query(self, text: str) -> np.ndarray:
        return self._near(1)[0]


def sentences() -> list[str]:
    found: list[str] = []
    with (SCIFACT / "corpus.jsonl").open() as lines:
        for line in lines:
            doc = json.loads(line)
            found.extend(s.strip() + "." for s in doc["text"].split(". ") if len(s.split()) > 4)
    return found


def chunks(n: int, pool: list[str]) -> list[Chunk]:
    out = []
    for i in range(n):
        text = f"{pool[i % len(pool)]} {pool[(i * 7919 + 13) % len(pool)]}"
        out.append(
            Chunk(
                chunk_id=f"c{i}",
                org_id=ORG,
                doc_type=("kb", "product", "order")[i % 3],
                doc_id=f"doc{i // 4}",
                source=f"bench/{i // 4}.md",
                title=f"Document {i // 4}",
                text=text,
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
            )
        )
    return out


def queries(limit: int) -> list[str]:
    tested = {line.split("\t")[0] for line in (SCIFACT / "qrels" / "test.tsv").read_text().splitlines()[1:]}
    found = []
    with (SCIFACT / "queries.jsonl").open() as lines:
        for line in lines:
            query = json.loads(line)
            if query["_id"] in tested:
                found.append(query["text"])
    return found[:limit]


def timed(fn, items) -> list[float]:
    samples = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
        "mean": statistics.fmean(ordered),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()

    pool = sentences()
    corpus = chunks(args.n, pool)
    texts = queries(args.queries)
    embedder = MixtureEmbedder()
    with tempfile.TemporaryDirectory(prefix="fluxori-latency-") as tmp:
        service = HybridSearchService(
            InMemoryChunkStore(), embedder, LocalVectorIndex(Path(tmp), dim=DIM, model=embedder.name)
        )
        start = time.perf_counter()
        for offset in range(0, len(corpus), 10_000):
            service.upsert_chunks(corpus[offset : offset + 10_000])
        build = time.perf_counter() - start
        start = time.perf_counter()
        service.corpora.get(ORG)  # the BM25 index is built on the first query; time it apart
        bm25_build = time.perf_counter() - start

        vectors = [embedder.embed_query(q) for q in texts]
        all_vectors = embedder._near(args.n)  # same distribution and size as the index, for the exact baseline
        pairs = list(zip(texts, vectors, strict=True))
        for text, vector in pairs[:20]:  # warm caches and the graphs' pages
            service.rank(ORG, text, 10, query_vector=vector)

        results = {
            "exact numpy dense (baseline)": timed(lambda p: np.argpartition(-(all_vectors @ p[1]), 10)[:10], pairs),
            "dense (hnswlib)": timed(lambda p: service.rank(ORG, p[0], 10, mode="dense", query_vector=p[1]), pairs),
            "keyword (bm25s)": timed(lambda p: service.rank(ORG, p[0], 10, mode="keyword"), pairs),
            "hybrid (both, fused)": timed(lambda p: service.rank(ORG, p[0], 10, query_vector=p[1]), pairs),
            "hybrid, doc_type=kb": timed(
                lambda p: service.rank(ORG, p[0], 10, doc_type="kb", query_vector=p[1]), pairs
            ),
        }
        # The other fusion (FLUXORI_SEARCH_FUSION=coverage) over the same indexes: it also computes the query's
        # BM25 ceiling.
        service.config = HybridConfig(FUSIONS["coverage"])
        results["hybrid, coverage fusion"] = timed(lambda p: service.rank(ORG, p[0], 10, query_vector=p[1]), pairs)

    from retrieval.embeddings.local import LocalEmbedder

    model = LocalEmbedder()
    model.embed_query("warm up")
    results["query embedding (MiniLM, 1 thread)"] = timed(model.embed_query, texts[:100])

    print(f"{args.n} chunks of one organisation, {len(pairs)} SciFact test queries, k=10")
    print(f"index build: {build:.1f} s ({args.n / build:.0f} chunks/s), BM25 build {bm25_build:.1f} s")
    baseline = summary(results["exact numpy dense (baseline)"])["p50"]
    print(f"{'what':38} {'p50 ms':>8} {'p95 ms':>8} {'p50 / baseline':>15}")
    for name, samples in results.items():
        figures = summary(samples)
        print(f"{name:38} {figures['p50']:8.2f} {figures['p95']:8.2f} {figures['p50'] / baseline:15.2f}")


if __name__ == "__main__":
    main()
