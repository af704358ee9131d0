"""Vertex AI Vector Search (1.0, STREAM_UPDATE index) as a `VectorIndex`, through google-cloud-aiplatform.

- One index serves every organisation, so the organisation is a restrict (`org_id` namespace) on every datapoint
  and on every query, as are the document type (`doc_type`) and the audience (`audience`: `public` or `internal`,
  the caller's role decides which are allowed): Vector Search applies restricts inside the ANN search.
- Datapoint ids are `{org_id}::{chunk_id}`: chunk ids of two organisations can never overwrite or delete each
  other, and a neighbour is only accepted back if it carries the queried organisation's prefix.
- An update removes the datapoint before upserting it (the issue asks for delete-then-create so that no stale
  restricts survive an update that changes a chunk's type).
- Scores: the index uses DOT_PRODUCT_DISTANCE on unit vectors (terraform/modules/vector_search), for which the
  returned `distance` is the dot product, i.e. cosine similarity (higher is better).
- `api_endpoint` sends every aiplatform client there over REST (tests use a local fake of Google's API; see
  ../shared/google-offline.md); without it the SDK's regional Google endpoints and default credentials are used.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

SEPARATOR = "::"
UPSERT_BATCH = 200  # 200 x 768 floats stays well under the 10 MB request limit
DOC_TYPES = ("kb", "product", "order")
AUDIENCES = ("public", "internal")


def datapoint_id(org_id: str, chunk_id: str) -> str:
    if SEPARATOR in org_id:
        raise ValueError(f"org_id must not contain {SEPARATOR!r}: {org_id!r}")
    return f"{org_id}{SEPARATOR}{chunk_id}"


class VertexVectorIndex:
    def __init__(
        self,
        project: str,
        location: str,
        index_id: str,
        endpoint_id: str,
        deployed_index_id: str,
        credentials: Any = None,
        api_endpoint: str | None = None,
    ) -> None:
        self.project, self.location = project, location
        self.index_id, self.endpoint_id, self.deployed_index_id = index_id, endpoint_id, deployed_index_id
        self.credentials, self.api_endpoint = credentials, api_endpoint
        self._index: Any = None
        self._endpoint: Any = None
        self._lock = threading.Lock()

    def _clients(self) -> tuple[Any, Any]:
        """Connect on first use (each constructor fetches its resource), so building the service costs no call."""
        with self._lock:
            if self._index is None:
                from google.cloud import aiplatform

                options: dict[str, Any] = {"project": self.project, "location": self.location}
                if self.credentials is not None:
                    options["credentials"] = self.credentials
                if self.api_endpoint:
                    options.update(api_endpoint=self.api_endpoint, api_transport="rest")
                aiplatform.init(**options)
                self._index = aiplatform.MatchingEngineIndex(index_name=self.index_id)
                self._endpoint = aiplatform.MatchingEngineIndexEndpoint(index_endpoint_name=self.endpoint_id)
        return self._index, self._endpoint

    def upsert(
        self,
        org_id: str,
        ids: Sequence[str],
        vectors: np.ndarray,
        doc_types: Sequence[str],
        audiences: Sequence[str] | None = None,
    ) -> None:
        from google.cloud.aiplatform_v1.types import IndexDatapoint

        if not len(ids):
            return
        vectors = np.asarray(vectors, dtype=np.float32)
        audiences = list(audiences) if audiences is not None else ["public"] * len(ids)
        if len(vectors) != len(ids) or len(doc_types) != len(ids) or len(audiences) != len(ids):
            raise ValueError(f"upsert needs as many vectors, doc types and audiences as ids ({len(ids)})")
        if set(audiences) - set(AUDIENCES):
            raise ValueError(f"unknown audience {sorted(set(audiences) - set(AUDIENCES))}; expected one of {AUDIENCES}")
        unknown = set(doc_types) - set(DOC_TYPES)
        if unknown:
            raise ValueError(f"unknown doc_type {sorted(unknown)}; expected one of {DOC_TYPES}")
        index, _ = self._clients()
        self.delete(org_id, ids)
        points = [
            IndexDatapoint(
                datapoint_id=datapoint_id(org_id, chunk_id),
                feature_vector=vector.tolist(),
                restricts=[
                    IndexDatapoint.Restriction(namespace="org_id", allow_list=[org_id]),
                    IndexDatapoint.Restriction(namespace="doc_type", allow_list=[doc_type]),
                    IndexDatapoint.Restriction(namespace="audience", allow_list=[audience]),
                ],
            )
            for chunk_id, vector, doc_type, audience in zip(ids, vectors, doc_types, audiences, strict=True)
        ]
        for start in range(0, len(points), UPSERT_BATCH):
            index.upsert_datapoints(datapoints=points[start : start + UPSERT_BATCH])

    def delete(self, org_id: str, ids: Sequence[str]) -> None:
        if not len(ids):
            return
        index, _ = self._clients()
        point_ids = [datapoint_id(org_id, chunk_id) for chunk_id in dict.fromkeys(ids)]
        for start in range(0, len(point_ids), 1000):
            index.remove_datapoints(datapoint_ids=point_ids[start : start + 1000])

    def query(
        self,
        org_id: str,
        vector: np.ndarray,
        k: int,
        doc_type: str | None = None,
        audiences: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]:
        from google.cloud.aiplatform.matching_engine.matching_engine_index_endpoint import Namespace

        if k <= 0:
            return []
        if doc_type is not None and doc_type not in DOC_TYPES:
            raise ValueError(f"unknown doc_type {doc_type!r}; expected one of {DOC_TYPES}")
        _, endpoint = self._clients()
        restricts = [Namespace(name="org_id", allow_tokens=[org_id])]
        if doc_type is not None:
            restricts.append(Namespace(name="doc_type", allow_tokens=[doc_type]))
        if audiences is not None:
            restricts.append(Namespace(name="audience", allow_tokens=list(audiences)))
        neighbours = endpoint.find_neighbors(
            deployed_index_id=self.deployed_index_id,
            queries=[np.asarray(vector, dtype=np.float32).tolist()],
            num_neighbors=k,
            filter=restricts,
        )
        prefix = datapoint_id(org_id, "")
        return [
            (n.id.removeprefix(prefix), float(n.distance or 0.0))  # the SDK turns 0.0 into None
            for n in (neighbours[0] if neighbours else [])
            if n.id.startswith(prefix)
        ]
