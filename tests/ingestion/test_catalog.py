"""Products and orders as documents: stock per warehouse, order totals, re-indexing after writes."""

from __future__ import annotations

from ingestion.catalog_docs import doc_ids_for_order
from ingestion.pipeline import ingest_catalog, reindex_documents
from tests.domain.fixtures import ORG, repos

TENT = "product:AC-TENT-0001"


def text_of(index, doc_id: str) -> str:
    return "\n".join(c.text for c in index.by_doc(ORG)[doc_id])


def place_order(services):
    from domain.orders import Customer, OrderLineInput

    r = repos(services.store)
    return r.orders.place(
        ORG,
        "takealot",
        Customer(name="Lerato Mokoena", city="Pretoria"),
        [OrderLineInput(sku="AC-TENT-0001", quantity=2)],
        "JHB",
    )


def test_catalog_documents_carry_stock_per_warehouse_and_order_details(services, index):
    order = place_order(services)
    report = ingest_catalog(services, ORG)
    assert (report.added, report.failed) == (3, 0)
    docs = index.by_doc(ORG)
    assert set(docs) == {TENT, "product:AC-LAMP-0001", f"order:{order.number}"}
    tent = docs[TENT][0]
    assert (tent.doc_type, tent.source, tent.title) == ("product", TENT, "Dome tent 2p (AC-TENT-0001)")
    assert tent.metadata["sku"] == "AC-TENT-0001"
    text = text_of(index, TENT)
    assert "Price: R2 499.00 excluding VAT (R2 873.85 including 15% VAT)" in text
    assert "HS code (tariff heading): 6306.22" in text and "Reorder point: 15" in text
    assert "- JHB (Johannesburg): 10 on hand, 2 reserved, 8 available" in text
    assert "- CPT (Cape Town): 0 on hand, 0 reserved, 0 available" in text
    assert "LOW STOCK" in text  # 8 available < reorder point 15
    order_text = text_of(index, f"order:{order.number}")
    assert docs[f"order:{order.number}"][0].doc_type == "order"
    for expected in (
        f"Order number: {order.number}",
        "Channel: Takealot (takealot)",
        "Status: pending",
        "Customer: Lerato Mokoena, Pretoria",
        "- 2 x Dome tent 2p (AC-TENT-0001) at R2 499.00 = R4 998.00",
        "VAT (15%): R749.70",
        "Total: R5 747.70 including VAT",
    ):
        assert expected in order_text
    index.reset_counts()
    assert ingest_catalog(services, ORG).unchanged == 3 and index.upserts == []


def test_reindex_after_a_stock_change_and_an_order_status_change(services, index):
    order = place_order(services)
    ingest_catalog(services, ORG)
    tent_ids = {c.chunk_id for c in index.by_doc(ORG)[TENT]}
    r = repos(services.store)
    r.inventory.adjust(ORG, "AC-TENT-0001", "CPT", 5, "found stock")
    index.reset_counts()
    report = reindex_documents(services, ORG, [TENT, "product:AC-LAMP-0001"])
    assert (report.updated, report.unchanged) == (1, 1)
    assert set(index.upserted) == tent_ids  # same ids, new text
    assert "- CPT (Cape Town): 5 on hand, 0 reserved, 5 available" in text_of(index, TENT)

    r.orders.transition(ORG, order.number, "confirmed")
    ids = doc_ids_for_order(r.orders.get(ORG, order.number))
    assert ids == [f"order:{order.number}", TENT]
    report = reindex_documents(services, ORG, ids)
    assert (report.updated, report.unchanged) == (1, 1)  # the order changed; confirming moves no stock
    assert "Status: confirmed" in text_of(index, f"order:{order.number}")

    bad = reindex_documents(services, ORG, ["kb/readme.md", "product:AC-TENT-0001"])
    assert bad.failed == 1 and "product:SKU or order:NUMBER" in bad.failures[0].reason and bad.unchanged == 1


def test_a_removed_product_is_deleted_from_the_index(services, index):
    ingest_catalog(services, ORG)
    lamp_ids = {c.chunk_id for c in index.by_doc(ORG)["product:AC-LAMP-0001"]}
    services.products.delete(ORG, "AC-LAMP-0001")
    report = reindex_documents(services, ORG, ["product:AC-LAMP-0001"])
    assert report.deleted == 1 and set(index.deleted) == lamp_ids
    assert "product:AC-LAMP-0001" not in index.by_doc(ORG)
    assert ingest_catalog(services, ORG).deleted == 0  # already gone: nothing left to delete


def test_catalog_shards_partition_products_and_orders(services, index):
    for _ in range(3):
        place_order(services)
    seen: list[set[str]] = []
    for i in range(2):
        index.reset_counts()
        report = ingest_catalog(services, ORG, shard=(i, 2))
        docs = {index.chunks[(ORG, cid)].doc_id for cid in index.upserted}
        assert report.added == len(docs) and report.added + report.other_shard == 5
        seen.append(docs)
    assert seen[0] | seen[1] == set(index.by_doc(ORG)) and not seen[0] & seen[1] and len(seen[0] | seen[1]) == 5
