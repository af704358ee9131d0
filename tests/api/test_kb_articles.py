"""GET /v1/kb/{doc_id} and the audiences of GET /v1/search: organisation and audience come from the API key.

The search service is the real `HybridSearchService` (hnswlib + BM25) with the small word embedder of the
retrieval tests instead of MiniLM, over an in-memory chunk store: these tests are about scoping, not ranking."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.wiring import Services
from ingestion.chunking import chunk_document
from ingestion.loaders import load_document
from retrieval.chunk_store import InMemoryChunkStore
from retrieval.dense_local import LocalVectorIndex
from retrieval.hybrid import HybridConfig, HybridSearchService
from tests.api.conftest import Stub, auth
from tests.retrieval.conftest import WordEmbedder

PUBLIC = "demo:account/api-keys.md"
INTERNAL = "demo:support/recovery.md"
GUIDE = """# API keys

## Creating a key

1. Open Settings, then API keys.
2. Choose **New key** and pick a role.
3. Copy the key: it is shown once.
"""
RECOVERY = """---
audience: internal
---
# Account recovery

## Verifying the caller

1. Call back on the registered number.
2. Check the last top-up reference.
"""


@pytest.fixture
def kb(services: Services, stub: Stub, tmp_path: Path) -> HybridSearchService:
    embedder = WordEmbedder()
    searcher = HybridSearchService(
        InMemoryChunkStore(), embedder, LocalVectorIndex(tmp_path, embedder.dim), HybridConfig(version_ttl=0.0)
    )
    for doc_id, text in ((PUBLIC, GUIDE), (INTERNAL, RECOVERY)):
        document = load_document(doc_id, text.encode())
        searcher.upsert_chunks(chunk_document(document, org_id="bergveld", doc_type="kb", doc_id=doc_id, source=doc_id))
    stub("searcher", searcher)
    return searcher


def test_an_article_is_read_whole_by_its_org(client: TestClient, kb: HybridSearchService) -> None:
    r = client.get(f"/v1/kb/{PUBLIC}", headers=auth("bergveld", "merchant"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["doc_id"] == PUBLIC and body["title"] == "API keys" and body["audience"] == "public"
    assert body["sections"][0]["heading_path"] == ["API keys", "Creating a key"]
    assert "1. Open Settings" in body["sections"][0]["text"] and "3. Copy the key" in body["sections"][0]["text"]


@pytest.mark.parametrize(
    ("org", "role", "doc_id", "status"),
    [
        ("fynbos", "merchant", PUBLIC, 404),  # another organisation's article does not exist for it
        ("fynbos", "admin", INTERNAL, 404),
        ("bergveld", "merchant", INTERNAL, 404),  # internal: the same 404 as a missing article
        ("bergveld", "merchant", "demo:nothing.md", 404),
        ("bergveld", "support", INTERNAL, 200),
        ("bergveld", "admin", INTERNAL, 200),
    ],
)
def test_articles_are_scoped_to_org_and_audience(client: TestClient, kb, org, role, doc_id, status) -> None:
    r = client.get(f"/v1/kb/{doc_id}", headers=auth(org, role))
    assert r.status_code == status, r.text
    if status == 404:
        assert r.json()["error"]["code"] == "not_found" and "Call back" not in r.text


def test_search_hides_internal_articles_from_merchants(client: TestClient, kb: HybridSearchService) -> None:
    query = {"q": "verifying the caller call back registered number top-up reference", "k": 10}
    merchant = client.get("/v1/search", params=query, headers=auth("bergveld", "merchant")).json()["hits"]
    assert all(h["metadata"]["doc_id"] != INTERNAL for h in merchant)
    support = client.get("/v1/search", params=query, headers=auth("bergveld", "support")).json()["hits"]
    assert support[0]["metadata"]["doc_id"] == INTERNAL
    # An audience in the query string is not a way in: the key decides.
    forged = client.get("/v1/search", params={**query, "audience": "internal"}, headers=auth("bergveld", "merchant"))
    assert all(h["metadata"]["doc_id"] != INTERNAL for h in forged.json()["hits"])
