"""Knowledge-base answers: ranking (hit@1, hit@5, MRR@10, recall@10) and the "not found" calibration, on two help
centres: the demo KB (`ingestion/demo_kb`, dev questions only) and a foreign one written for this check in another
style (`benchmarks/kb_eval/foreign`: terse FAQ-style text and HTML about an invoicing app), whose queries are split
into dev (for tuning) and test (written and committed before any tuning, scored only to report).

    FLUXORI_DATA_DIR=/tmp/bench/data .venv/bin/python benchmarks/kb_eval.py            # dev and test figures
    FLUXORI_DATA_DIR=/tmp/bench/data .venv/bin/python benchmarks/kb_eval.py --tune     # + calibration grid on dev

Each corpus is chunked by the product's loaders and chunker and indexed by the product's `HybridSearchService`
(configured embedder with its cache, hnswlib, BM25) under an organisation of its own, in memory and a temporary
folder. A query with `doc: null` is unanswerable: the right outcome is "not found". Answerable queries count as
refused when `assistant.kb_answers.knowledge_result` says "not found" for them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.wiring_retrieval import build_embedder  # noqa: E402
from assistant.kb_answers import CALIBRATION, Calibration, answerable, knowledge_result  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from ingestion.chunking import chunk_document  # noqa: E402
from ingestion.loaders import is_supported, load_document  # noqa: E402
from retrieval.chunk_store import InMemoryChunkStore  # noqa: E402
from retrieval.dense_local import LocalVectorIndex  # noqa: E402
from retrieval.hybrid import HybridSearchService  # noqa: E402
from retrieval.types import SearchHit  # noqa: E402

DATA = ROOT / "benchmarks" / "kb_eval"
CORPORA = {  # org id (also the id namespace) -> folder, queries
    "demo": (ROOT / "ingestion" / "demo_kb", DATA / "demo_dev.jsonl"),
    "foreign": (DATA / "foreign", DATA / "foreign_queries.jsonl"),
    "pos": (DATA / "pos", DATA / "pos_dev.jsonl"),
}


@dataclass
class Outcome:
    corpus: str
    split: str
    query: str
    expected: str | None
    ranked: list[str]  # doc ids, best first
    hits: list[SearchHit]
    found: bool
    seconds: float


def index_folder(service: HybridSearchService, org: str, folder: Path) -> int:
    chunks = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and is_supported(p.name)):
        relative = path.relative_to(folder).as_posix()
        document = load_document(relative, path.read_bytes())
        doc_id = f"{org}:{relative}"
        chunks += chunk_document(document, org_id=org, doc_type="kb", doc_id=doc_id, source=doc_id)
    service.upsert_chunks(chunks)
    return len(chunks)


def run(service: HybridSearchService) -> list[Outcome]:
    outcomes = []
    for org, (_, queries) in CORPORA.items():
        for line in queries.read_text().splitlines():
            row = json.loads(line)
            started = time.perf_counter()
            hits = service.search(org, row["query"], k=10, doc_type="kb")
            seconds = time.perf_counter() - started
            data, _ = knowledge_result(service, org, row["query"])
            outcomes.append(
                Outcome(
                    org, row["split"], row["query"], row["doc"], [h.doc_id for h in hits], hits, data["found"], seconds
                )
            )
    return outcomes


def ranking(outcomes: list[Outcome]) -> dict[str, float]:
    ranks = [o.ranked.index(o.expected) + 1 if o.expected in o.ranked else None for o in outcomes]
    n = len(ranks) or 1
    return {
        "hit@1": sum(r == 1 for r in ranks) / n,
        "hit@5": sum(r is not None and r <= 5 for r in ranks) / n,
        "mrr@10": sum(1 / r for r in ranks if r is not None and r <= 10) / n,
        "recall@10": sum(r is not None for r in ranks) / n,
    }


def refusals(outcomes: list[Outcome], decide=None) -> dict[str, float]:
    decide = decide or (lambda o: o.found)
    answerable_ = [o for o in outcomes if o.expected]
    unanswerable = [o for o in outcomes if not o.expected]
    return {
        "not_found_on_unanswerable": sum(not decide(o) for o in unanswerable) / max(len(unanswerable), 1),
        "refused_answerable": sum(not decide(o) for o in answerable_) / max(len(answerable_), 1),
        "wrong_doc_answered": sum(decide(o) and o.ranked[:1] != [o.expected] for o in answerable_)
        / max(len(answerable_), 1),
    }


def report(outcomes: list[Outcome]) -> None:
    for (corpus, split), group in itertools.groupby(
        sorted(outcomes, key=lambda o: (o.corpus, o.split)), key=lambda o: (o.corpus, o.split)
    ):
        group = list(group)
        answerable_ = [o for o in group if o.expected]
        figures = {**ranking(answerable_), **refusals(group)}
        unanswerable = len(group) - len(answerable_)
        print(
            f"{corpus:8s} {split:5s} ({len(answerable_)} answerable, {unanswerable} unanswerable): "
            + ", ".join(f"{k} {v:.3f}" for k, v in figures.items())
        )
    latency = [o.seconds * 1000 for o in outcomes]
    print(
        f"search latency (k=10, one document per hit): p50 {np.percentile(latency, 50):.1f} ms, "
        f"p95 {np.percentile(latency, 95):.1f} ms over {len(latency)} queries"
    )


def tune(outcomes: list[Outcome]) -> None:
    """Grid over the calibration on the DEV queries of both corpora; prints the settings that meet the targets
    (not found >= 0.90 on unanswerable, refused <= 0.05 of answerable), fewest wrong answers first."""
    dev = [o for o in outcomes if o.split == "dev" and o.hits]
    rows = []
    for cosine, novelty, alone in itertools.product(
        np.arange(0.20, 0.61, 0.025), (0.0, 0.2, 0.34, 0.5, 0.67, 1.0), (0.6, 0.65, 0.7, 0.75, 1.01)
    ):
        calib = Calibration(round(float(cosine), 3), novelty, alone)
        figures = refusals(dev, lambda o, c=calib: answerable(o.hits[0], c))
        rows.append((figures, calib))
    good = [r for r in rows if r[0]["not_found_on_unanswerable"] >= 0.9 and r[0]["refused_answerable"] <= 0.05]
    pool = good or rows
    pool.sort(key=lambda r: r[0]["refused_answerable"] - r[0]["not_found_on_unanswerable"])
    print(f"calibration grid on dev: {len(good)} of {len(rows)} settings meet both targets; best:")
    for figures, calib in pool[:8]:
        print(f"  {calib}  " + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tune", action="store_true", help="also print a calibration grid on the dev queries")
    parser.add_argument("--show", action="store_true", help="print every query's outcome")
    args = parser.parse_args()
    embedder = build_embedder(Settings())
    with tempfile.TemporaryDirectory(prefix="fluxori-kb-eval-") as tmp:
        service = HybridSearchService(InMemoryChunkStore(), embedder, LocalVectorIndex(Path(tmp), embedder.dim))
        for org, (folder, _) in CORPORA.items():
            print(f"{org}: {index_folder(service, org, folder)} chunks")
        service.search("demo", "warm up", k=1)
        outcomes = run(service)
    print(f"calibration: {CALIBRATION}; fusion: {service.config.fusion}")
    report(outcomes)
    if args.show:
        for o in outcomes:
            top = o.hits[0] if o.hits else None
            print(
                f"  [{o.corpus}/{o.split}] found={o.found!s:5} expected={o.expected} top={o.ranked[:1]} "
                f"cos={top.dense_score if top else None} {o.query!r}"
            )
    if args.tune:
        tune(outcomes)


if __name__ == "__main__":
    main()
