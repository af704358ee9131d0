"""`fluxori eval beir --passages`: documents cut by the product's chunker, ranked by their best passage.

A tiny BEIR dataset written here (no SciFact needed), with the small test embedder; loading, chunking, hnswlib,
BM25, fusion, collapsing and metrics are the real code. Each relevant document says what its query asks only in a
passage after its first, so a run that ranked chunk ids, or a document by its first passage, would miss it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.cli_eval import passage_chunks
from retrieval.beir import EVAL_ORG, best_passage_ranking, index_corpus, rank_queries
from retrieval.hybrid import MAX_K, HybridSearchService
from tests.retrieval.test_cli_eval import fast_embedder  # noqa: F401 (fixture)

FILLER = "Observational cohort data were collected across several hospital sites over many years. " * 14
TOPICS = {
    "zebra": "zebrafish cardiac muscle regeneration after injury",
    "lith": "lithium carbonate dosing in bipolar disorder",
    "vit": "vitamin deficiency and bone fracture healing",
}


def corpus() -> dict[str, dict[str, str]]:
    docs = {doc_id: {"title": f"Study {doc_id}", "text": f"{FILLER}\n\n{topic}."} for doc_id, topic in TOPICS.items()}
    for n in range(5):  # distractors: filler only
        docs[f"other-{n}"] = {"title": f"Report {n}", "text": FILLER}
    return docs


def test_best_passage_ranking_keeps_each_documents_first_chunk_in_order() -> None:
    ranked = [("a2", 0.9), ("b1", 0.8), ("a1", 0.7), ("c1", 0.6), ("b2", 0.5)]
    doc_of = {"a1": "A", "a2": "A", "b1": "B", "b2": "B", "c1": "C"}
    assert best_passage_ranking(ranked, doc_of, 10) == [("A", 0.9), ("B", 0.8), ("C", 0.6)]
    assert best_passage_ranking(ranked, doc_of, 2) == [("A", 0.9), ("B", 0.8)]


def test_documents_are_ranked_by_a_passage_after_their_first(memory_service: HybridSearchService) -> None:
    chunks = passage_chunks(corpus())
    by_doc = {doc_id: [c for c in chunks if c.doc_id == doc_id] for doc_id in TOPICS}
    assert all(len(parts) >= 2 for parts in by_doc.values())  # the chunker cut each long abstract
    assert all(TOPICS[d] not in parts[0].text for d, parts in by_doc.items())  # the topic is not in the first
    assert {c.org_id for c in chunks} == {EVAL_ORG}
    index_corpus(memory_service, chunks)
    runs, _ = rank_queries(memory_service, {d: topic for d, topic in TOPICS.items()}, k=5, depth=MAX_K)
    for mode, run in runs.items():
        for doc_id, ranking in run.items():
            assert ranking[0] == doc_id, (mode, ranking)
            assert len(ranking) == len(set(ranking)) <= 5  # one entry per document, at most k
            assert set(ranking) <= set(corpus())  # document ids, not chunk ids


@pytest.mark.parametrize("options", [["--passages"], ["--passages", "--whole-bm25"]])
def test_eval_beir_passages_on_a_small_dataset(fast_embedder: None, tmp_path: Path, options: list[str]) -> None:  # noqa: F811
    data = tmp_path / "tiny"
    (data / "qrels").mkdir(parents=True)
    lines = [json.dumps({"_id": d, **doc}) for d, doc in corpus().items()]
    (data / "corpus.jsonl").write_text("\n".join(lines) + "\n")
    (data / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": f"q-{d}", "text": t}) + "\n" for d, t in TOPICS.items())
    )
    (data / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"q-{d}\t{d}\t1\n" for d in TOPICS)
    )
    result = CliRunner().invoke(app, ["eval", "beir", str(data), *options, "--json"])
    assert result.exit_code == 0, result.output
    out = result.stdout.strip().splitlines()
    report = json.loads(out[-2])
    assert report["documents"] == len(corpus()) and report["chunks"] > report["documents"]
    assert all(values["mrr@10"] == 1.0 for values in report["metrics"].values()), report["metrics"]
    assert re.fullmatch(r"ndcg@10=1\.0000", out[-1])
