"""Text embedders behind `retrieval.types.Embedder`: a local sentence-transformers model shipped in a PyPI package
(offline default), Vertex AI `text-embedding-005` (production), and a content-hash cache in front of either."""

from retrieval.embeddings.cache import CachedEmbedder, EmbeddingCache
from retrieval.embeddings.local import LOCAL_MODEL_NAME, LocalEmbedder, SentenceModel
from retrieval.embeddings.vertex import VertexEmbedder

__all__ = [
    "LOCAL_MODEL_NAME",
    "CachedEmbedder",
    "EmbeddingCache",
    "LocalEmbedder",
    "SentenceModel",
    "VertexEmbedder",
]
