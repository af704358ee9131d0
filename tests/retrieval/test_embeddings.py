"""Embedding cache (no model call for text seen before, across restarts) and the real packaged model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.embeddings import CachedEmbedder, EmbeddingCache
from retrieval.hybrid import HybridSearchService
from tests.retrieval.conftest import WordEmbedder, make_chunk


def test_second_pass_costs_no_model_call_even_after_restart(tmp_path: Path) -> None:
    model = WordEmbedder()
    cached = CachedEmbedder(model, EmbeddingCache(tmp_path / "e.sqlite"))
    first = cached.embed_documents(["alpha text", "beta text", "alpha text"])
    assert (model.calls, model.texts, cached.misses) == (1, 2, 2)  # the duplicate is embedded once
    again = cached.embed_documents(["beta text", "alpha text"])
    assert (model.calls, model.texts) == (1, 2)
    np.testing.assert_allclose(again, first[[1, 0]])
    cached.cache.close()

    reopened = CachedEmbedder(model, EmbeddingCache(tmp_path / "e.sqlite"))  # a new process, same data dir
    reopened.embed_documents(["alpha text", "gamma text"])
    assert (model.calls, model.texts, reopened.hits, reopened.misses) == (2, 3, 1, 1)


def test_reingesting_unchanged_chunks_embeds_nothing(memory_service: HybridSearchService, tmp_path: Path) -> None:
    model = WordEmbedder()
    memory_service.embedder = CachedEmbedder(model, EmbeddingCache(tmp_path / "e.sqlite"))
    chunks = [make_chunk("org", f"c{i}", f"article number {i} about stock transfers") for i in range(5)]
    memory_service.upsert_chunks(chunks)
    assert model.texts == 5
    memory_service.upsert_chunks(chunks)
    assert model.texts == 5
    memory_service.upsert_chunks([make_chunk("org", "c0", "article zero, rewritten")])
    assert model.texts == 6


@pytest.mark.slow
def test_packaged_minilm_model_offline() -> None:
    from retrieval.embeddings import LocalEmbedder
    from tests.conftest import MINILM

    embedder = LocalEmbedder(MINILM)
    vectors = embedder.embed_documents(
        ["How do I connect my Takealot seller account?", "Linking a Takealot store", "Import VAT on a container"]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = embedder.embed_query("connect takealot")
    assert query @ vectors[0] > query @ vectors[2]
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert embedder.model.get() is MINILM.get()  # loaded once, then shared by whoever holds it
