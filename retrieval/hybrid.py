"""The search service: dense (embeddings + vector index) and keyword (BM25) legs, fused (`retrieval.fusion`).

Scope: every leg is asked for one organisation and the caller's audiences, and the organisation, the audiences and
the document type (when given) restrict the candidates inside each index: per-organisation graphs (one per type and
audience) or Vertex AI restricts for the dense leg, a per-organisation BM25 index with a weight mask for the
keyword leg. Results are resolved to text from that organisation's chunks only.

`search` returns one hit per document, its best passage (`document` gives the rest of it in reading order), so one
long file cannot fill a page of results. Fusion (`retrieval.fusion`): 0.75 x cosine + 0.25 x BM25 / the query's best
BM25 by default, or `coverage` (BM25 over the query's highest possible BM25), over 100 candidates per leg, tuned on
SciFact's train qrels and the KB dev questions (BENCHMARKS.md). No reranker: no cross-encoder ships inside a PyPI
package that installs offline here, and the local model is already the latency budget.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from retrieval.chunk_store import ChunkStore
from retrieval.corpus_cache import CorpusCache
from retrieval.fusion import Candidate, FusionConfig, fuse
from retrieval.keyword import DOC_TYPES
from retrieval.text import index_text
from retrieval.types import AUDIENCES, PUBLIC, Audience, Chunk, Embedder, SearchHit, VectorIndex

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "keyword"]
MAX_K = 200


@dataclass(frozen=True)
class HybridConfig:
    fusion: FusionConfig = field(default_factory=FusionConfig)
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
                org_id,
                [latest[i].chunk_id for i in rows],
                vectors[rows],
                [latest[i].doc_type for i in rows],
                [latest[i].audience for i in rows],
            )
            self.corpora.invalidate(org_id)

    def delete_chunks(self, org_id: str, chunk_ids: Sequence[str]) -> None:
        if not chunk_ids:
            return
        self.chunks.delete(org_id, chunk_ids)
        self.vectors.delete(org_id, chunk_ids)
        self.corpora.invalidate(org_id)

    # -- reads ---------------------------------------------------------------------------------------------------

    def _legs(
        self,
        org_id: str,
        query: str,
        depth: int,
        doc_type: str | None,
        mode: Mode,
        query_vector: np.ndarray | None,
        audiences: Sequence[str] | None,
    ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        dense: list[tuple[str, float]] = []
        keyword: list[tuple[str, float]] = []
        if mode in ("hybrid", "dense"):
            vector = self.embedder.embed_query(query) if query_vector is None else query_vector
            dense = self.vectors.query(org_id, vector, depth, doc_type, audiences)
        if mode in ("hybrid", "keyword"):
            keyword = self.corpora.get(org_id).keyword.search(query, depth, doc_type, audiences)
        return dense, keyword

    def rank(
        self,
        org_id: str,
        query: str,
        k: int = 5,
        doc_type: str | None = None,
        mode: Mode = "hybrid",
        query_vector: np.ndarray | None = None,
        audiences: Sequence[str] | None = PUBLIC,
    ) -> list[tuple[str, float]]:
        """Chunk ids and scores, best first (cosine for dense, BM25 for keyword, fused for hybrid). `audiences`
        restricts every leg inside its index; None (every audience) is for evaluations only."""
        return [(c.chunk_id, c.score) for c in self._rank(org_id, query, k, doc_type, mode, query_vector, audiences)]

    def _rank(
        self,
        org_id: str,
        query: str,
        k: int,
        doc_type: str | None,
        mode: Mode,
        query_vector: np.ndarray | None,
        audiences: Sequence[str] | None,
    ) -> list[Candidate]:
        validate_query(org_id, k, doc_type)
        if audiences is not None and (not audiences or set(audiences) - set(AUDIENCES)):
            raise ValueError(f"audiences must be a non-empty subset of {AUDIENCES}, got {audiences!r}")
        if not query or not query.strip():
            return []
        corpus = self.corpora.get(org_id)
        if not corpus.chunks:  # unknown organisation or empty corpus: answer without loading a model
            return []
        depth = max(k, self.config.candidates) if mode == "hybrid" else k
        dense, keyword = self._legs(org_id, query, depth, doc_type, mode, query_vector, audiences)
        if mode == "dense":
            return [Candidate(i, s, dense=s) for i, s in dense[:k]]
        if mode == "keyword":
            return [Candidate(i, s, keyword=s) for i, s in keyword[:k]]
        ceiling = corpus.keyword.ceiling(query) if self.config.fusion.method == "coverage" else None
        return fuse(dense, keyword, self.config.fusion, ceiling)[:k]

    def search(
        self,
        org_id: str,
        query: str,
        k: int = 5,
        doc_type: str | None = None,
        audiences: Sequence[Audience] = PUBLIC,
        per_document: int = 1,
    ) -> list[SearchHit]:
        """Hybrid search within one organisation: at most `k` documents, each with its best `per_document` passages
        (one by default), best first; an unknown organisation or empty index gives []. Only passages of
        `audiences` are candidates."""
        validate_query(org_id, k, doc_type)
        candidates = self._rank(
            org_id, query, max(k, self.config.candidates), doc_type, "hybrid", None, tuple(audiences)
        )
        if not candidates:
            return []
        corpus = self.corpora.get(org_id)
        known = corpus.chunks
        missing = [c.chunk_id for c in candidates if c.chunk_id not in known]
        fetched = self.chunks.get_many(org_id, missing) if missing else {}
        hits: list[SearchHit] = []
        documents: dict[str, int] = {}  # doc id -> passages returned
        ceiling = corpus.keyword.ceiling(query)
        for candidate in candidates:
            chunk = known.get(candidate.chunk_id) or fetched.get(candidate.chunk_id)
            if chunk is None or chunk.org_id != org_id:  # deleted since the index answered
                continue
            if (doc_type is not None and chunk.doc_type != doc_type) or chunk.audience not in audiences:
                log.warning(
                    "index returned %s (%s, %s) outside the query's scope",
                    chunk.chunk_id,
                    chunk.doc_type,
                    chunk.audience,
                )
                continue
            # A document's passages beyond `per_document`, or a document beyond the k-th: a long file cannot fill
            # the page.
            if documents.get(chunk.doc_id, 0) >= per_document or (
                chunk.doc_id not in documents and len(documents) == k
            ):
                continue
            documents[chunk.doc_id] = documents.get(chunk.doc_id, 0) + 1
            hits.append(
                SearchHit(
                    chunk_id=chunk.chunk_id,
                    doc_type=chunk.doc_type,
                    doc_id=chunk.doc_id,
                    source=chunk.source,
                    title=chunk.title,
                    heading_path=list(chunk.heading_path),
                    text=chunk.text,
                    score=float(candidate.score),
                    dense_score=candidate.dense,
                    keyword_score=candidate.keyword,
                    keyword_ceiling=ceiling,
                    audience=chunk.audience,
                    metadata={**chunk.metadata, "doc_id": chunk.doc_id},
                )
            )
            if len(hits) == k * per_document:
                break
        return hits

    def document(self, org_id: str, doc_id: str, audiences: Sequence[Audience] = PUBLIC) -> list[Chunk]:
        """Every chunk of one document in reading order, or [] if the organisation has no such document for these
        audiences (an internal article does not exist for a public caller)."""
        validate_query(org_id, 1, None)
        corpus = self.corpora.get(org_id)
        chunks = [corpus.chunks[i] for i in corpus.by_doc.get(doc_id, ())]
        return [c for c in chunks if c.org_id == org_id and c.audience in audiences]

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
