"""The Google Cloud adapters against a LOCAL FAKE of Google's API (tests/retrieval/fake_google.py), not Google:
Vertex AI Vector Search through google-cloud-aiplatform and text-embedding-005 through langchain-google-genai.
The real client libraries build and send the requests; the fake records them so the tests can check their shape
(restricts on every datapoint and every query, delete before upsert, task types, batching, retries)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from google.auth.credentials import AnonymousCredentials
from google.oauth2.credentials import Credentials

from retrieval.embeddings.vertex import EmbeddingError, VertexEmbedder
from retrieval.vertex_index import VertexVectorIndex
from tests.retrieval.fake_google import FakeGoogle


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        yield fake


def vec(*values: float) -> np.ndarray:
    vector = np.zeros(768, dtype=np.float32)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


def make_index(google: FakeGoogle) -> VertexVectorIndex:
    return VertexVectorIndex(
        "p", "europe-west4", "123", "456", "deployed_kb", credentials=AnonymousCredentials(), api_endpoint=google.url
    )


def test_vector_search_requests_carry_restricts_and_scope(google: FakeGoogle) -> None:
    index = make_index(google)
    index.upsert("bergveld", ["c1", "c2"], np.stack([vec(1), vec(0, 1)]), ["kb", "product"])
    index.upsert("fynbos", ["c1"], np.stack([vec(1)]), ["kb"])  # same chunk id, another org: no clash

    upserts = google.posts(":upsertDatapoints")
    assert upserts[0].path.startswith("/v1/projects/p/locations/europe-west4/indexes/123:upsertDatapoints")
    point = upserts[0].body["datapoints"][0]
    assert point["datapointId"] == "bergveld::c1" and len(point["featureVector"]) == 768
    assert {"namespace": "org_id", "allowList": ["bergveld"]} in point["restricts"]
    assert {"namespace": "doc_type", "allowList": ["kb"]} in point["restricts"]
    # every upsert was preceded by a removal of the same ids (an update must delete first)
    removes = google.posts(":removeDatapoints")
    assert removes[0].body == {"datapointIds": ["bergveld::c1", "bergveld::c2"]}
    order = [r.path.split("?")[0].rsplit(":", 1)[1] for r in google.state.requests if r.method == "POST"]
    assert order == ["removeDatapoints", "upsertDatapoints", "removeDatapoints", "upsertDatapoints"]

    assert index.query("bergveld", vec(1), 5) == [("c1", pytest.approx(1.0)), ("c2", pytest.approx(0.0, abs=1e-6))]
    assert [cid for cid, _ in index.query("bergveld", vec(1), 5, doc_type="product")] == ["c2"]
    assert [cid for cid, _ in index.query("fynbos", vec(1), 5)] == ["c1"]
    assert index.query("nobody", vec(1), 5) == []

    queries = google.posts(":findNeighbors")
    assert queries and all(
        q.path.startswith("/v1beta1/projects/p/locations/europe-west4/indexEndpoints/456:") for q in queries
    )
    for request in queries:  # the organisation restrict is on EVERY query
        assert request.body["deployedIndexId"] == "deployed_kb"
        for query in request.body["queries"]:
            assert query["neighborCount"] == 5
            assert query["datapoint"]["restricts"][0] == {"namespace": "org_id", "allowList": [query_org(query)]}
    assert queries[1].body["queries"][0]["datapoint"]["restricts"][1] == {
        "namespace": "doc_type",
        "allowList": ["product"],
    }

    index.delete("bergveld", ["c1"])
    assert google.posts(":removeDatapoints")[-1].body == {"datapointIds": ["bergveld::c1"]}
    assert [cid for cid, _ in index.query("bergveld", vec(1), 5)] == ["c2"]
    assert [cid for cid, _ in index.query("fynbos", vec(1), 5)] == ["c1"]


def query_org(query: dict) -> str:
    return query["datapoint"]["restricts"][0]["allowList"][0]


def test_org_with_separator_is_rejected(google: FakeGoogle) -> None:
    with pytest.raises(ValueError, match="must not contain"):
        make_index(google).upsert("a::b", ["c"], np.stack([vec(1)]), ["kb"])


def make_embedder(google: FakeGoogle, **kwargs: object) -> VertexEmbedder:
    return VertexEmbedder(
        "p", "europe-west4", credentials=Credentials(token="test"), base_url=google.url, base_delay=0.01, **kwargs
    )


def test_vertex_embeddings_task_types_batches_and_normalisation(google: FakeGoogle) -> None:
    embedder = make_embedder(google, batch_size=2)
    vectors = embedder.embed_documents(["import vat", "customs duty", "clearing agent"])
    assert vectors.shape == (3, 768)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = embedder.embed_query("import vat")
    assert query.shape == (768,) and float(query @ vectors[0]) == pytest.approx(1.0, abs=1e-5)

    calls = google.posts(":predict")
    assert [len(c.body["instances"]) for c in calls] == [2, 1, 1]
    path = "/v1beta1/projects/p/locations/europe-west4/publishers/google/models/text-embedding-005:predict"
    assert all(c.path.split("?")[0] == path for c in calls)
    assert calls[0].body["instances"][0] == {"content": "import vat", "task_type": "RETRIEVAL_DOCUMENT"}
    assert calls[-1].body["instances"] == [{"content": "import vat", "task_type": "RETRIEVAL_QUERY"}]
    assert calls[0].body["parameters"] == {"outputDimensionality": 768}


def test_vertex_embeddings_retry_on_503_then_give_up_on_400(google: FakeGoogle) -> None:
    embedder = make_embedder(google)
    google.state.fail_next = [503, 429]
    assert embedder.embed_query("duty").shape == (768,)
    assert len(google.posts(":predict")) == 3
    google.state.fail_next = [400]
    with pytest.raises(EmbeddingError, match="text-embedding-005"):
        embedder.embed_query("duty")
    assert len(google.posts(":predict")) == 4  # a bad request is not retried
