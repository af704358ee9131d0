"""The hybrid search service end to end on Firestore (Google's emulator, as in production code path):
organisation isolation, doc-type filter, updates and deletes by id, persistence, another process's writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.store import Store
from retrieval.chunk_store import FirestoreChunkStore
from retrieval.dense_local import LocalVectorIndex
from retrieval.hybrid import HybridConfig, HybridSearchService
from tests.retrieval.conftest import WordEmbedder, make_chunk

SECRET = "Bergveld negotiated a special courier rate of R42 per parcel with Courier Guy for Cape Town"


def service_for(store: Store, root: Path, ttl: float = 0.0) -> HybridSearchService:
    embedder = WordEmbedder()
    index = LocalVectorIndex(root, dim=embedder.dim, model=embedder.name)
    return HybridSearchService(FirestoreChunkStore(store), embedder, index, HybridConfig(version_ttl=ttl))


@pytest.fixture
def service(store: Store, tmp_path: Path) -> HybridSearchService:
    svc = service_for(store, tmp_path)
    svc.upsert_chunks(
        [
            make_chunk("bergveld", "bv-courier", SECRET, title="Courier rates"),
            make_chunk("bergveld", "bv-tent", "Karoo tunnel tent BV-TENT-0001, 3 person", doc_type="product"),
            make_chunk("bergveld", "bv-1042", "Order 1042 via Takealot shipped from CPT", doc_type="order"),
            make_chunk("fynbos", "fy-courier", "Fynbos ships every parcel with Pargo lockers", title="Couriers"),
            make_chunk("fynbos", "fy-returns", "Returns are accepted within 30 days of delivery"),
        ]
    )
    return svc


def test_an_org_never_sees_another_orgs_chunks_even_for_their_exact_text(service: HybridSearchService) -> None:
    hits = service.search("fynbos", SECRET, k=10)
    assert hits and all(hit.chunk_id.startswith("fy-") for hit in hits)
    assert all("R42" not in hit.text for hit in hits)
    for mode in ("dense", "keyword", "hybrid"):
        ranked = service.rank("fynbos", SECRET, k=50, mode=mode)
        assert all(chunk_id.startswith("fy-") for chunk_id, _ in ranked), mode
    own = service.search("bergveld", SECRET, k=3)
    assert own[0].chunk_id == "bv-courier"
    assert own[0].source == "kb/bv-courier.md" and own[0].title == "Courier rates"
    assert own[0].heading_path == ["Help"] and own[0].text == SECRET and own[0].score > 0
    assert service.search("no-such-org", SECRET) == []


def test_doc_type_restricts_inside_both_legs(service: HybridSearchService) -> None:
    hits = service.search("bergveld", "Karoo tent order 1042 courier", k=10, doc_type="product")
    assert [hit.chunk_id for hit in hits] == ["bv-tent"]
    assert all(hit.doc_type == "order" for hit in service.search("bergveld", "tent 1042", k=10, doc_type="order"))


def test_bad_arguments_fail_clearly(service: HybridSearchService) -> None:
    with pytest.raises(ValueError, match="k must be an integer from 1 to 200"):
        service.search("bergveld", "tent", k=0)
    with pytest.raises(ValueError, match="doc_type must be one of kb, product, order"):
        service.search("bergveld", "tent", doc_type="invoice")
    with pytest.raises(ValueError, match="org_id"):
        service.search("", "tent")
    assert service.search("bergveld", "   ") == []
    assert service.ready() is True


def test_update_and_delete_by_id_in_both_legs(service: HybridSearchService, store: Store) -> None:
    service.upsert_chunks([make_chunk("fynbos", "fy-returns", "Refunds are paid to the original card in 5 days")])
    assert service.rank("fynbos", "accepted delivery", k=5, mode="keyword") == []
    assert service.search("fynbos", "refunds original card", k=1)[0].text.startswith("Refunds are paid")
    service.delete_chunks("fynbos", ["fy-returns"])
    for mode in ("dense", "keyword"):
        assert "fy-returns" not in dict(service.rank("fynbos", "refunds original card", k=5, mode=mode)), mode
    assert not store.col("fynbos", "chunks").document("fy-returns").get().exists
    service.delete_chunks("fynbos", ["bv-courier"])  # another org's id: nothing of bergveld goes
    assert service.search("bergveld", SECRET, k=1)[0].chunk_id == "bv-courier"


def test_another_process_sees_changes_and_state_survives_reopen(
    service: HybridSearchService, store: Store, tmp_path: Path
) -> None:
    """A second service on the same Firestore and data dir stands for the API server while `ingest` writes."""
    server = service_for(store, tmp_path)
    assert server.search("fynbos", "Pargo lockers", k=1)[0].chunk_id == "fy-courier"
    before = FirestoreChunkStore(store).version("fynbos")
    service.upsert_chunks([make_chunk("fynbos", "fy-new", "Load-shedding: pack orders before stage 6 schedules")])
    assert FirestoreChunkStore(store).version("fynbos") == before + 1
    assert server.search("fynbos", "load-shedding stage 6", k=1)[0].chunk_id == "fy-new"
    service.delete_chunks("fynbos", ["fy-new"])
    assert "fy-new" not in [hit.chunk_id for hit in server.search("fynbos", "load-shedding stage 6", k=5)]
