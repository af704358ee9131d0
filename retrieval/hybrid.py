"""The search service: dense (embeddings + vector index) and keyword (BM25) legs fused by reciprocal rank fusion.

Scope: every leg is asked for one organisation, and the organisation (and document type, when given) restrict the
candidates inside each index: per-organisation graphs or Vertex AI restricts for the dense leg, a per-organisation
BM25 index with a doc-type weight mask for the keyword leg. Results are resolved to text from that organisation's
chunks only.

Fusion defaults (k=60, equal weights, 100 candidates per leg) are the usual RRF settings (Cormack et al., 2009),
not tuned on any test set; `fluxori eval beir` reports them on SciFact (BENCHMARKS.md). No reranker: no
cross-encoder ships inside a PyPI package that installs offline here, and the local model is already the latency
budget.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from retrieval.chunk_store import ChunkStore
from retrieval.corpus_cache import CorpusCache
from retrieval.fusion import reciprocal_rank_fusion
from retrieval.keyword import DOC_TYPES
from retrieval.text import index_text
from retrieval.types import Chunk, Embedder, SearchHit, VectorIndex

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "keyword"]
MAX_K = 200


@dataclass(frozen=True)
class HybridConfig:
    rrf_k: float = 60.0
    dense_weight: float = 1.0
    keyword_weight: float = 1.0
    candidates: int = 100  # per leg, before fusion
    version_ttl: float = 1.0  # seconds between corpus-version checks per organisation
    bm25_k1: float = 1.5
    bm25_b: float = 0.75


def validate_query(org_id: str, k: int, doc_type: str | None) -> None:
    if not isinstance(org_id, str) or not org_id.strip():
        raise ValueError("org_id must be a non-empty string")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise ValueError(f"k must be an integer from 1 to {MAX_K}, got {k!r}")
    if doc_type is not None and doc_type not in DOC_TYPES:
        raise ValueError(f"doc_type must be one of {', '.join(DOC_TYPES)} (or None for all), got {doc_type!r}")


class HybridSearchService:
    """`retrieval.types.SearchService`: ingestion writes through it, the assistant and API read through it."""

    def __init__(
        self, chunks: ChunkStore, embedder: Embedder, vectors: VectorIndex, config: HybridConfig | None = None
    ) -> None:
        self.chunks = chunks
        self.embedder = embedder
        self.vectors = vectors
        self.config = config or HybridConfig()
        self.corpora = CorpusCache(chunks, self.config.version_ttl, self.config.bm25_k1, self.config.bm25_b)

    # -- writes --------------------------------------------------------------------------------------------------

    def upsert_chunks(self, chunks: Sequence[Chunk]) -> None:
        """Add or replace chunks by id: embeddings first (cached by content), then text, then vectors."""
        if not chunks:
            return
        for chunk in chunks:
            if not chunk.org_id.strip() or not chunk.chunk_id:
                raise ValueError(f"chunk {chunk.chunk_id!r} needs a chunk_id and an org_id")
        latest = list({(chunk.org_id, chunk.chunk_id): chunk for chunk in chunks}.values())
        vectors = self.embedder.embed_documents([index_text(chunk) for chunk in latest])
        self.chunks.put(latest)
        by_org: dict[str, list[int]] = {}
        for i, chunk in enumerate(latest):
            by_org.setdefault(chunk.org_id, []).append(i)
        for org_id, rows in by_org.items():
            self.vectors.upsert(
                org_id, [latest[i].chunk_id for i in rows], vectors[rows], [latest[i].doc_type for i in rows]
            )
            self.corpora.invalidate(org_id)

    def delete_chunks(self, org_id: str, chunk_ids: Sequence[str]) -> None:
        if not chunk_ids:
            return
        self.chunks.delete(org_id, chunk_ids)
        self.vectors.delete(org_id, chunk_ids)
        self.corpora.invalidate(org_id)

    # -- reads ---------------------------------------------------------------------------------------------------

    def rank(
        self,
        org_id: str,
        query: str,
        k: int = 5,
        doc_type: str | None = None,
        mode: Mode = "hybrid",
        query_vector: np.ndarray | None = None,
    ) -> list[tuple[str, float]]:
        """Chunk ids and scores, best first (cosine for dense, BM25 for keyword, RRF for hybrid)."""
        validate_query(org_id, k, doc_type)
        if not query or not query.strip():
            return []
        corpus = self.corpora.get(org_id)
        if not corpus.chunks:  # unknown organisation or empty corpus: answer without loading a model
            return []
        depth = max(k, self.config.candidates)
        dense: list[tuple[str, float]] = []
        keyword: list[tuple[str, float]] = []
        if mode in ("hybrid", "dense"):
            vector = self.embedder.embed_query(query) if query_vector is None else query_vector
            dense = self.vectors.query(org_id, vector, depth if mode == "hybrid" else k, doc_type)
        if mode in ("hybrid", "keyword"):
            keyword = corpus.keyword.search(query, depth if mode == "hybrid" else k, doc_type)
        if mode == "dense":
            return dense[:k]
        if mode == "keyword":
            return keyword[:k]
        fused = reciprocal_rank_fusion(
            [[chunk_id for chunk_id, _ in dense], [chunk_id for chunk_id, _ in keyword]],
            [self.config.dense_weight, self.config.keyword_weight],
            self.config.rrf_k,
        )
        return fused[:k]

    def search(self, org_id: str, query: str, k: int = 5, doc_type: str | None = None) -> list[SearchHit]:
        """Hybrid search within one organisation; an unknown organisation or empty index gives []."""
        ranked = self.rank(org_id, query, k, doc_type)
        if not ranked:
            return []
        known = self.corpora.get(org_id).chunks
        missing = [chunk_id for chunk_id, _ in ranked if chunk_id not in known]
        fetched = self.chunks.get_many(org_id, missing) if missing else {}
        hits = []
        for chunk_id, score in ranked:
            chunk = known.get(chunk_id) or fetched.get(chunk_id)
            if chunk is None or chunk.org_id != org_id:  # deleted since the index answered
                continue
            if doc_type is not None and chunk.doc_type != doc_type:
                log.warning("index returned %s of type %s for a %s query", chunk_id, chunk.doc_type, doc_type)
                continue
            hits.append(
                SearchHit(
                    chunk_id=chunk.chunk_id,
                    doc_type=chunk.doc_type,
                    source=chunk.source,
                    title=chunk.title,
                    heading_path=list(chunk.heading_path),
                    text=chunk.text,
                    score=float(score),
                    metadata={**chunk.metadata, "doc_id": chunk.doc_id},
                )
            )
        return hits

    def ready(self) -> bool:
        """True when the chunk store answers (the model loads on first use; see `warm`)."""
        try:
            self.chunks.version("_readiness")
        except Exception as exc:  # a health check reports, it does not raise
            log.warning("search service not ready: %s", exc)
            return False
        return True

    def warm(self) -> None:
        """Load the embedding model now rather than on the first query."""
        self.embedder.embed_query("warm up")
