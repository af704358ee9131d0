"""`fluxori eval beir` through Typer's CliRunner on a 300-document subset of SciFact (../shared/datasets).

The embedder is the small test embedder so the run takes seconds; the real pipeline's figures on the full dataset
are in BENCHMARKS.md. Everything else (loading, indexing, hnswlib, BM25, fusion, metrics, output) is the real code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import app.wiring_retrieval as wiring
from app.cli import app
from retrieval.embeddings import CachedEmbedder, EmbeddingCache
from tests.retrieval.conftest import WordEmbedder

SCIFACT = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "scifact"


@pytest.fixture
def fast_embedder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FLUXORI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(
        wiring, "build_embedder", lambda settings: CachedEmbedder(WordEmbedder(), EmbeddingCache(tmp_path / "e.db"))
    )


@pytest.mark.skipif(not SCIFACT.is_dir(), reason="../shared/datasets/scifact is not on this machine")
def test_eval_beir_on_a_scifact_subset(fast_embedder: None) -> None:
    result = CliRunner().invoke(app, ["eval", "beir", str(SCIFACT), "--limit-docs", "300", "--json"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert re.fullmatch(r"ndcg@10=0\.\d{4}", lines[-1])
    report = json.loads(lines[-2])
    assert report["documents"] == 300 and report["queries"] > 100
    assert set(report["metrics"]) == {"bm25", "dense", "hybrid"}
    for values in report["metrics"].values():
        assert 0.0 < values["ndcg@10"] <= 1.0 and 0.0 < values["recall@100"] <= 1.0
    assert lines[-1] == f"ndcg@10={report['metrics']['hybrid']['ndcg@10']:.4f}"
    assert report["metrics"]["bm25"]["ndcg@10"] > 0.5  # a sanity floor: BM25 on its own judged documents
    assert "Recall@100" in result.stdout and "docs/s" in result.stdout and "p95" in result.stdout


def test_eval_beir_on_a_missing_folder_is_one_line(fast_embedder: None, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "beir", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "is missing: expected a BEIR dataset" in output and "Traceback" not in output
