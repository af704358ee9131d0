"""Audiences, adversarially (like the tenancy tests): an internal passage is never a candidate of a public query,
in the local hnswlib graphs, in BM25 and in Vertex AI Vector Search (against the local fake of Google's API), even
when the query repeats the passage word for word and asks for every result there is."""

from __future__ import annotations

import numpy as np
import pytest
from google.auth.credentials import AnonymousCredentials

from retrieval.dense_local import LocalVectorIndex
from retrieval.hybrid import HybridSearchService
from retrieval.keyword import KeywordIndex
from retrieval.vertex_index import VertexVectorIndex
from tests.retrieval.conftest import make_chunk
from tests.retrieval.fake_google import FakeGoogle

SECRET = "To recover an account override two factor authentication with the break glass procedure"
ORG = "bergveld"


@pytest.fixture
def service(memory_service: HybridSearchService) -> HybridSearchService:
    memory_service.upsert_chunks(
        [
            make_chunk(ORG, "internal-1", SECRET, doc_id="kb:recovery.md", audience="internal"),
            make_chunk(ORG, "public-1", "Reset your password from the sign in page", doc_id="kb:password.md"),
            make_chunk(ORG, "public-2", "Two factor authentication protects your account", doc_id="kb:2fa.md"),
        ]
    )
    return memory_service


def test_a_public_query_never_sees_an_internal_passage(service: HybridSearchService) -> None:
    for doc_type in ("kb", None):
        hits = service.search(ORG, SECRET, k=50, doc_type=doc_type)
        assert hits and all(h.audience == "public" for h in hits)
        assert "internal-1" not in {h.chunk_id for h in hits}
    for mode in ("dense", "keyword", "hybrid"):
        ranked = service.rank(ORG, SECRET, k=200, mode=mode)
        assert "internal-1" not in {chunk_id for chunk_id, _ in ranked}
    assert service.document(ORG, "kb:recovery.md") == []


def test_support_staff_see_internal_passages(service: HybridSearchService) -> None:
    hits = service.search(ORG, SECRET, k=3, audiences=("public", "internal"))
    assert hits[0].chunk_id == "internal-1" and hits[0].audience == "internal"
    assert [c.chunk_id for c in service.document(ORG, "kb:recovery.md", ("public", "internal"))] == ["internal-1"]
    assert service.search(ORG, SECRET, k=3, audiences=("internal",))[0].chunk_id == "internal-1"
    with pytest.raises(ValueError, match="audiences"):
        service.search(ORG, SECRET, audiences=("everyone",))
    with pytest.raises(ValueError, match="audiences"):
        service.search(ORG, SECRET, audiences=())


def test_an_article_that_becomes_internal_leaves_the_public_graph(service: HybridSearchService) -> None:
    text = "Reset your password from the sign in page"
    service.upsert_chunks([make_chunk(ORG, "public-1", text, doc_id="kb:password.md", audience="internal")])
    assert "public-1" not in {c for c, _ in service.rank(ORG, text, k=200, mode="dense")}
    assert "public-1" not in {h.chunk_id for h in service.search(ORG, text, k=50)}
    service.upsert_chunks([make_chunk(ORG, "public-1", text, doc_id="kb:password.md")])
    assert service.search(ORG, text, k=1)[0].chunk_id == "public-1"


def test_local_graphs_and_bm25_filter_inside_the_query(tmp_path) -> None:
    index = LocalVectorIndex(tmp_path, dim=4)
    vectors = np.eye(4, dtype=np.float32)[:2]
    index.upsert(ORG, ["in", "pub"], vectors, ["kb", "kb"], ["internal", "public"])
    assert [i for i, _ in index.query(ORG, vectors[0], k=10, audiences=["public"])] == ["pub"]
    assert [i for i, _ in index.query(ORG, vectors[0], k=1, audiences=["public", "internal"])] == ["in"]
    keyword = KeywordIndex(["in", "pub"], ["kb", "kb"], [SECRET, "password"], audiences=["internal", "public"])
    assert keyword.search(SECRET, 10, audiences=["public"]) == []
    assert [i for i, _ in keyword.search(SECRET, 10, "kb", ["internal"])] == ["in"]


def test_vertex_restricts_carry_the_audience() -> None:
    def vec(*values: float) -> np.ndarray:
        vector = np.zeros(768, dtype=np.float32)
        vector[: len(values)] = values
        return vector / np.linalg.norm(vector)

    with FakeGoogle() as google:
        url = google.url
        index = VertexVectorIndex(
            "p", "europe-west4", "123", "456", "deployed_kb", credentials=AnonymousCredentials(), api_endpoint=url
        )
        index.upsert(ORG, ["in", "pub"], np.stack([vec(1), vec(0, 1)]), ["kb", "kb"], ["internal", "public"])
        points = google.posts(":upsertDatapoints")[0].body["datapoints"]
        assert {"namespace": "audience", "allowList": ["internal"]} in points[0]["restricts"]
        assert [i for i, _ in index.query(ORG, vec(1), 5, audiences=["public"])] == ["pub"]
        query = google.posts(":findNeighbors")[-1].body["queries"][0]["datapoint"]
        assert {"namespace": "audience", "allowList": ["public"]} in query["restricts"]
        assert {i for i, _ in index.query(ORG, vec(1), 5, audiences=["public", "internal"])} == {"in", "pub"}
