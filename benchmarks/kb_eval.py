"""Knowledge-base answers: ranking (hit@1, hit@5, MRR@10, recall@10) and the "not found" calibration, on help
centres written in different styles:
- dev (tuned on): the demo KB (`ingestion/demo_kb`); `foreign` (terse FAQ-style text and HTML about an invoicing
  app; its test split was scored five times, so it is now dev too and reported on its own line); `pos` (a POS
  hardware manual with numbered sections, tables and error codes); `fibre` (a home-fibre provider's help centre,
  most of its unanswerable questions near misses). Split `para`: questions in other words than their article's,
  written before the ranking was tuned on them; split `near`: near misses (the help centre's own topics, answered by
  none of its articles) and a few answerable twins.
- held out (`--test`): `courier` (a parcel courier's customer help centre, committed before the judge was changed)
  and `payments` (a payment gateway's merchant help centre, written apart from the search code, committed before
  its first score).

    FLUXORI_DATA_DIR=/tmp/bench/data .venv/bin/python benchmarks/kb_eval.py --tune     # dev figures, fit on dev
    FLUXORI_DATA_DIR=/tmp/bench/data .venv/bin/python benchmarks/kb_eval.py --test     # + the held-out help centres
    FLUXORI_SEARCH_FUSION=coverage ...                                                   # search's other fusion

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
from assistant.kb_answers import (  # noqa: E402
    CALIBRATION,
    FEATURES,
    Calibration,
    answer_features,
    answerable,
    judged_search,
    knowledge_result,
)
from assistant.settings import Settings  # noqa: E402
from ingestion.chunking import chunk_document  # noqa: E402
from ingestion.loaders import is_supported, load_document  # noqa: E402
from retrieval.chunk_store import InMemoryChunkStore  # noqa: E402
from retrieval.dense_local import LocalVectorIndex  # noqa: E402
from retrieval.fusion import FUSIONS  # noqa: E402
from retrieval.hybrid import HybridConfig, HybridSearchService  # noqa: E402
from retrieval.types import SearchHit  # noqa: E402

DATA = ROOT / "benchmarks" / "kb_eval"
CORPORA = {  # org id (also the id namespace) -> folder, queries
    "demo": (ROOT / "ingestion" / "demo_kb", DATA / "demo_dev.jsonl"),
    "foreign": (DATA / "foreign", DATA / "foreign_queries.jsonl"),
    "pos": (DATA / "pos", DATA / "pos_dev.jsonl"),
    "fibre": (DATA / "fibre", DATA / "fibre_dev.jsonl"),  # dev only, most unanswerable questions near misses
    "courier": (DATA / "courier", DATA / "courier_test.jsonl"),  # test only: the held-out help centre
    "payments": (DATA / "payments", DATA / "payments_test.jsonl"),  # test only: a second one, written later
}
# Test splits scored too often to be held out: moved into dev (tuned on), reported on their own line.
USED = {("foreign", "test"): "used: scored 5 times, now dev"}
# Dev questions in other words than their article's (issue 11's ranking work), written before that tuning; dev.
PARAPHRASED = "para"
# Dev near misses: on a help centre's own topics, answered by none of its articles (with a few answerable twins).
NEAR = "near"


def is_dev(corpus: str, split: str) -> bool:
    return split in ("dev", PARAPHRASED, NEAR) or (corpus, split) in USED


@dataclass
class Outcome:
    corpus: str
    split: str
    query: str
    expected: str | None
    ranked: list[str]  # doc ids, best first
    hits: list[SearchHit]
    judged: list[SearchHit]  # what the "not found" judge sees: each document's best passage (`judged_search`)
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


def build_service() -> tuple[HybridSearchService, tempfile.TemporaryDirectory]:
    """Every help centre indexed under its own organisation; the index lives until the directory is cleaned up."""
    settings = Settings()
    embedder = build_embedder(settings)
    tmp = tempfile.TemporaryDirectory(prefix="fluxori-kb-eval-")
    service = HybridSearchService(
        InMemoryChunkStore(),
        embedder,
        LocalVectorIndex(Path(tmp.name), embedder.dim),
        HybridConfig(FUSIONS[settings.search_fusion]),
    )
    for org, (folder, _) in CORPORA.items():
        print(f"{org}: {index_folder(service, org, folder)} chunks")
    service.search("demo", "warm up", k=1)
    return service, tmp


def run(service: HybridSearchService, splits: tuple[str, ...]) -> list[Outcome]:
    outcomes = []
    for org, (_, queries) in CORPORA.items():
        for line in queries.read_text().splitlines():
            row = json.loads(line)
            if row["split"] not in splits and not ("dev" in splits and is_dev(org, row["split"])):
                continue
            started = time.perf_counter()
            hits = service.search(org, row["query"], k=10, doc_type="kb")
            seconds = time.perf_counter() - started
            data, _ = knowledge_result(service, org, row["query"])
            _, judged = judged_search(service, org, row["query"])
            ranked = [h.doc_id for h in hits]
            outcomes.append(
                Outcome(org, row["split"], row["query"], row["doc"], ranked, hits, judged, data["found"], seconds)
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
        note = f" [{USED[corpus, split]}]" if (corpus, split) in USED else ""
        print(
            f"{corpus:8s} {split:5s} ({len(answerable_)} answerable, {unanswerable} unanswerable): "
            + ", ".join(f"{k} {v:.3f}" for k, v in figures.items())
            + note
        )
    latency = [o.seconds * 1000 for o in outcomes]
    print(
        f"search latency (k=10, one document per hit): p50 {np.percentile(latency, 50):.1f} ms, "
        f"p95 {np.percentile(latency, 95):.1f} ms over {len(latency)} queries"
    )


def features(outcomes: list[Outcome]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([answer_features(o.query, o.judged) for o in outcomes])
    return x, np.array([o.expected is not None for o in outcomes])


def fit(outcomes: list[Outcome], c: float, min_not_found: float = 0.9) -> Calibration:
    """Logistic regression on standardised features (balanced classes), returned on the raw feature scale, with
    its bias then raised or lowered to the most answering threshold that still says "not found" to at least
    `min_not_found` of the unanswerable questions it was fitted on."""
    from sklearn.linear_model import LogisticRegression

    x, y = features(outcomes)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=c, class_weight="balanced").fit((x - mean) / std, y)
    weights = model.coef_[0] / std
    logits = x[~y] @ weights  # unanswerable questions, without the bias
    allowed = int(len(logits) * (1 - min_not_found))  # how many of them may still be answered
    bias = -float(np.sort(logits)[::-1][allowed]) - 1e-3 if len(logits) else float(model.intercept_[0])
    return Calibration(tuple(round(float(w), 4) for w in weights), round(bias, 4))  # type: ignore[arg-type]


def tune(outcomes: list[Outcome]) -> None:
    """On the DEV queries only: leave-one-help-centre-out (fit on the other two, score the third) for a few
    regularisation strengths, then the fit on all dev queries, to paste into `assistant.kb_answers.CALIBRATION`."""
    dev = [o for o in outcomes if is_dev(o.corpus, o.split) and o.judged]
    corpora = sorted({o.corpus for o in dev})
    print(f"leave one help centre out on dev ({len(dev)} queries; features {', '.join(FEATURES)}):")
    for c in (0.1, 0.3, 1.0, 3.0):
        rows, decided = [], {}  # id(outcome) -> answered, by the model fitted without its help centre
        for held in corpora:
            calib = fit([o for o in dev if o.corpus != held], c)
            group = [o for o in dev if o.corpus == held]
            decided |= {id(o): answerable(o.query, o.judged, calib) for o in group}
            figures = refusals(group, lambda o, d=decided: d[id(o)])
            rows.append(
                f"{held} not-found {figures['not_found_on_unanswerable']:.2f} refused "
                f"{figures['refused_answerable']:.2f}"
            )
        pooled = refusals(dev, lambda o, d=decided: d[id(o)])
        print(
            f"  C={c}: " + "; ".join(rows) + f"; pooled not-found {pooled['not_found_on_unanswerable']:.3f} "
            f"refused {pooled['refused_answerable']:.3f}"
        )
    for c in (0.1, 0.3, 1.0):
        calib = fit(dev, c)
        figures = refusals(dev, lambda o, k=calib: answerable(o.query, o.judged, k))
        print(f"  all dev, C={c}: {calib}  " + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--tune", action="store_true", help="fit the judge on the dev queries (and leave one help centre out)"
    )
    parser.add_argument("--show", action="store_true", help="print every query's outcome")
    parser.add_argument(
        "--test",
        action="store_true",
        help="also score the held-out help centres, courier and payments (after the calibration is chosen)",
    )
    args = parser.parse_args()
    service, tmp = build_service()
    with tmp:
        outcomes = run(service, ("dev", "test") if args.test else ("dev",))
    print(f"calibration: {CALIBRATION}; fusion: {service.config.fusion}")
    report(outcomes)
    if args.show:
        for o in outcomes:
            top = o.hits[0] if o.hits else None
            print(
                f"  [{o.corpus}/{o.split}] found={o.found!s:5} expected={o.expected} top={o.ranked[:1]} "
                f"features={[round(x, 2) for x in answer_features(o.query, o.judged)] if top else None} {o.query!r}"
            )
    if args.tune:
        tune(outcomes)


if __name__ == "__main__":
    main()
