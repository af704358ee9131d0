"""The composition of the search service from Settings, per mode (no network: adapters connect lazily)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.wiring_retrieval import build_search_service
from assistant.settings import Settings
from domain.store import Store
from retrieval.dense_local import LocalVectorIndex
from retrieval.embeddings import LocalEmbedder, VertexEmbedder
from retrieval.fusion import FusionConfig
from retrieval.vertex_index import VertexVectorIndex


def test_local_mode_uses_packaged_model_and_disk_index(tmp_path: Path, store: Store) -> None:
    service = build_search_service(Settings(data_dir=tmp_path), store)
    assert isinstance(service.embedder.inner, LocalEmbedder) and service.embedder.dim == 384
    assert isinstance(service.vectors, LocalVectorIndex)
    assert service.vectors.root == tmp_path / "index" / "dense" / "all-MiniLM-L6-v2"
    assert (tmp_path / "cache" / "embeddings.sqlite").exists()
    assert service.search("bergveld", "anything") == []  # an empty corpus answers without loading the model
    assert service.ready()
    assert service.config.fusion == FusionConfig()  # score fusion unless FLUXORI_SEARCH_FUSION says otherwise


def test_the_embedding_cache_can_live_outside_the_data_dir(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUXORI_CACHE_DIR", str(tmp_path / "shared"))
    build_search_service(Settings(data_dir=tmp_path / "data"), store)
    assert (tmp_path / "shared" / "embeddings.sqlite").exists()
    assert not (tmp_path / "data" / "cache").exists()


def test_the_search_fusion_setting_reaches_the_service(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUXORI_SEARCH_FUSION", "coverage")
    service = build_search_service(Settings(data_dir=tmp_path), store)
    assert service.config.fusion.method == "coverage" and service.config.fusion.dense_weight == 0.5
    monkeypatch.setenv("FLUXORI_SEARCH_FUSION", "rrf")  # not a named fusion: refused when settings load
    with pytest.raises(ValueError, match="search_fusion"):
        Settings(data_dir=tmp_path)


def test_gcp_settings_select_vertex_adapters(tmp_path: Path, store: Store) -> None:
    settings = Settings(
        mode="gcp",
        project="fluxori-prod",
        data_dir=tmp_path,
        vector_index_id="1",
        vector_endpoint_id="2",
        vector_deployed_index_id="kb",
    )
    service = build_search_service(settings, store)
    assert isinstance(service.embedder.inner, VertexEmbedder) and service.embedder.dim == 768
    assert isinstance(service.vectors, VertexVectorIndex) and service.vectors.location == "europe-west4"


def test_unknown_local_model_is_refused(tmp_path: Path, store: Store) -> None:
    with pytest.raises(ValueError, match="ships only all-MiniLM-L6-v2"):
        build_search_service(Settings(data_dir=tmp_path, embedding_model="bge-small-en-v1.5"), store)
