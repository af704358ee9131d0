"""Through the real search service (`app.wiring_retrieval`: local embedding model, hnswlib index, BM25, chunks
in Firestore): what ingestion writes is found by hybrid search, a re-run embeds nothing, a change replaces the old
text, a deletion removes it, and another organisation sees none of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.wiring import Services
from assistant.settings import Settings
from ingestion.pipeline import ingest_catalog, ingest_kb
from tests.conftest import MINILM
from tests.domain.fixtures import ORG, OTHER, make_org, repos
from tests.ingestion.doubles import write_kb

pytest.importorskip("app.wiring_retrieval")


@pytest.fixture
def real(store, tmp_path: Path) -> Services:
    make_org(repos(store), ORG)
    make_org(repos(store), OTHER)
    settings = Settings(project=store.client.project, data_dir=tmp_path / "data")
    return Services(settings, store=store, minilm=MINILM)


def test_ingest_and_search_through_the_real_search_service(real: Services, kb: Path, monkeypatch):
    searcher = real.searcher
    embedded: list[int] = []
    original = searcher.embedder.embed_documents
    monkeypatch.setattr(
        searcher.embedder, "embed_documents", lambda texts: embedded.append(len(texts)) or original(texts)
    )
    report = ingest_kb(real, ORG, kb)
    assert report.added == 5 and report.failed == 0
    assert sum(embedded) == report.chunks_written

    hits = searcher.search(ORG, "how much import VAT does SARS charge", k=3, doc_type="kb")
    assert hits[0].source == f"file://{kb.resolve()}/importing/customs.html"
    assert hits[0].heading_path[0] == "Customs duty and import VAT"
    assert searcher.search(OTHER, "import VAT SARS customs duty", k=3) == []  # another org's index is empty

    embedded.clear()
    assert ingest_kb(real, ORG, kb).unchanged == 5 and embedded == []  # idempotent: nothing embedded

    (kb / "importing/customs.html").unlink()
    write_kb(kb, {"channels/connect-takealot.md": "# Connecting Takealot\n\nUse the Marketplace API token."})
    report = ingest_kb(real, ORG, kb)
    assert (report.updated, report.deleted) == (1, 1)
    stored = searcher.chunks.all(ORG)
    assert not [c for c in stored if c.doc_id.endswith("/kb/importing/customs.html")]
    takealot = [c for c in stored if c.doc_id == f"file://{kb.resolve()}/channels/connect-takealot.md"]
    assert [c.text for c in takealot] == ["Use the Marketplace API token."]
    top = searcher.search(ORG, "Marketplace API token for Takealot", k=1)[0]
    assert top.source.endswith("/kb/channels/connect-takealot.md")

    ingest_catalog(real, ORG)
    product = searcher.search(ORG, "dome tent stock in Johannesburg", k=1, doc_type="product")[0]
    assert product.source == "product:AC-TENT-0001" and "JHB (Johannesburg): 10 on hand" in product.text
