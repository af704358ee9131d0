"""Fixtures of the retrieval tests: a small deterministic embedder (so that index, fusion and isolation logic are
tested without the 90 MB model on every test; `test_embeddings.py` exercises the real model) and chunk helpers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from retrieval.chunk_store import InMemoryChunkStore
from retrieval.dense_local import LocalVectorIndex
from retrieval.hybrid import HybridConfig, HybridSearchService
from retrieval.types import Chunk

SYNONYMS = {"carton": "box", "parcel": "box", "crate": "box", "refund": "return", "returns": "return"}


class WordEmbedder:
    """Hashed bag of words with a synonym table, blind to tokens that contain digits (like a model that does not
    understand SKU codes): a dense leg that knows synonyms but fails on identifiers. Counts texts it embeds."""

    name = "test-words"
    dim = 64

    def __init__(self) -> None:
        self.calls = 0
        self.texts = 0

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(r"[a-z0-9-]+", text.lower()):
            if any(ch.isdigit() for ch in word):
                continue
            word = SYNONYMS.get(word, word)
            digest = hashlib.md5(word.encode()).digest()
            vector[digest[0] % self.dim] += 1.0 if digest[1] % 2 else -1.0
        norm = np.linalg.norm(vector)
        if norm == 0:
            vector[0] = 1.0
            return vector
        return vector / norm

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


def make_chunk(org_id: str, chunk_id: str, text: str, doc_type: str = "kb", title: str = "", **extra) -> Chunk:
    return Chunk(
        chunk_id=chunk_id,
        org_id=org_id,
        doc_type=doc_type,
        doc_id=extra.pop("doc_id", f"doc-{chunk_id}"),
        source=extra.pop("source", f"kb/{chunk_id}.md"),
        title=title or f"Title {chunk_id}",
        heading_path=extra.pop("heading_path", ["Help"]),
        text=text,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        **extra,
    )


@pytest.fixture
def embedder() -> WordEmbedder:
    return WordEmbedder()


@pytest.fixture
def memory_service(tmp_path: Path, embedder: WordEmbedder) -> HybridSearchService:
    index = LocalVectorIndex(tmp_path / "index", dim=embedder.dim, model=embedder.name)
    return HybridSearchService(InMemoryChunkStore(), embedder, index, HybridConfig(version_ttl=0.0))
