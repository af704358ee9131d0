"""Builds the search service of one mode from Settings (called lazily by `Services.searcher`).

local: all-MiniLM-L6-v2 from its PyPI package + hnswlib graphs under `data_dir/index` + BM25, chunks in Firestore
(the emulator). gcp: Vertex AI text-embedding-005 + Vertex AI Vector Search + BM25, chunks in Firestore. Either
embedder sits behind the content-hash cache under `data_dir/cache` (or `cache_dir`), so unchanged text is never
embedded twice.
"""

from __future__ import annotations

from pathlib import Path

from assistant.settings import Settings
from domain.store import Store
from retrieval.chunk_store import FirestoreChunkStore
from retrieval.dense_local import LocalVectorIndex
from retrieval.embeddings import CachedEmbedder, EmbeddingCache, LocalEmbedder, VertexEmbedder
from retrieval.embeddings.local import LOCAL_MODEL_NAME
from retrieval.fusion import FUSIONS
from retrieval.hybrid import HybridConfig, HybridSearchService
from retrieval.types import Embedder, VectorIndex


def build_embedder(
    settings: Settings, cache_dir: Path | None = None, local: LocalEmbedder | None = None
) -> CachedEmbedder:
    """`local`: the process's local embedder when the composition root already has one (one model per process)."""
    inner: Embedder
    if settings.embedding_provider == "vertex":
        inner = VertexEmbedder(settings.project, settings.vertex_region, model=settings.embedding_model)
    else:
        if settings.embedding_model not in (LOCAL_MODEL_NAME, f"sentence-transformers/{LOCAL_MODEL_NAME}"):
            raise ValueError(
                f"the local embedding provider ships only {LOCAL_MODEL_NAME}; "
                f"FLUXORI_EMBEDDING_MODEL={settings.embedding_model!r} is not available offline"
            )
        inner = local or LocalEmbedder()
    cache_dir = cache_dir or settings.cache_dir or settings.data_dir / "cache"
    return CachedEmbedder(inner, EmbeddingCache(cache_dir / "embeddings.sqlite"))


def build_vector_index(settings: Settings, embedder: Embedder) -> VectorIndex:
    if settings.vector_backend == "vertex":
        from retrieval.vertex_index import VertexVectorIndex

        assert settings.vector_index_id and settings.vector_endpoint_id and settings.vector_deployed_index_id
        return VertexVectorIndex(
            settings.project,
            settings.vertex_region,
            settings.vector_index_id,
            settings.vector_endpoint_id,
            settings.vector_deployed_index_id,
        )
    return LocalVectorIndex(settings.data_dir / "index", dim=embedder.dim, model=embedder.name)


def build_search_service(settings: Settings, store: Store, local: LocalEmbedder | None = None) -> HybridSearchService:
    embedder = build_embedder(settings, local=local)
    return HybridSearchService(
        FirestoreChunkStore(store),
        embedder,
        build_vector_index(settings, embedder),
        HybridConfig(FUSIONS[settings.search_fusion]),
    )
