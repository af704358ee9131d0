"""The side panel's content, read from the Firestore emulator under the caller's organisation: the whole article
in document order with the cited section marked, a product card with stock per warehouse, an order card; another
organisation's article, product or order is "not found"."""

from __future__ import annotations

import pytest

from app.wiring import Services
from assistant.settings import Settings
from domain.demo import seed
from domain.errors import NotFound
from domain.ingest_records import IngestRecord, RecordStore
from domain.orgs import Principal, Role
from retrieval.chunk_store import FirestoreChunkStore
from retrieval.types import Chunk
from ui.references import render_reference

SOURCE = "guides/transfers.md"


def chunk(chunk_id: str, heading: list[str], text: str, org: str = "bergveld") -> Chunk:
    return Chunk(
        chunk_id=chunk_id,
        org_id=org,
        doc_type="kb",
        doc_id=SOURCE,
        source=SOURCE,
        title="Transfers",
        heading_path=heading,
        text=text,
        content_hash="x",
    )


@pytest.fixture(scope="module")
def services(emulator, tmp_path_factory) -> Services:
    from domain.store import Store, make_client

    store = Store.connect(make_client("test-references", emulator_host=emulator.address))
    seed(store)
    # Stored out of order on purpose: the ingest record's list gives the document order.
    FirestoreChunkStore(store).put(
        [
            chunk("c2", ["Transfers", "Rules"], "A transfer moves **available** units only.\n\nNever reserved ones."),
            chunk("c1", ["Transfers"], "A stock transfer moves units between warehouses."),
            chunk("c3", ["Transfers", "Couriers"], "<script>alert(1)</script> Couriers collect at 14:00."),
        ]
    )
    RecordStore(store, "bergveld").put(
        [IngestRecord(doc_id=SOURCE, doc_type="kb", root="guides", content_hash="h", chunk_ids=["c1", "c2", "c3"])]
    )
    return Services(Settings(_env_file=None, project="test-references", data_dir=tmp_path_factory.mktemp("r")), store)


def who(org: str) -> Principal:
    return Principal(org_id=org, role=Role.merchant, key_id="k")


def test_an_article_opens_whole_in_order_with_the_cited_section_marked(services):
    citations = [{"source": SOURCE, "title": "Transfers > Rules", "snippet": "A transfer moves available units only."}]
    body = render_reference(services, who("bergveld"), "c0", citations)
    assert body.index("between warehouses") < body.index("<h4>Rules</h4>") < body.index("Couriers collect")
    assert '<section class="fx-section fx-cited"><h4>Rules</h4><p>A transfer moves <strong>available</strong>' in body
    assert body.count("fx-cited") == 1
    assert "<script>" not in body and "&lt;script&gt;" in body  # text from documents is never markup
    assert "Not found" in render_reference(services, who("fynbos"), "c0", citations)


def test_product_and_order_cards_are_scoped_to_the_organisation(services):
    product = render_reference(services, who("bergveld"), "product:BV-TENT-0001", [])
    for level in services.inventory.levels_for_sku("bergveld", "BV-TENT-0001"):
        assert f"<td>{level.warehouse}</td><td>{level.on_hand}</td>" in product
    assert "Not found" in render_reference(services, who("fynbos"), "product:BV-TENT-0001", [])
    order = services.orders.list("bergveld", limit=1)[0]
    card = render_reference(services, who("bergveld"), f"order:{order.number}", [])
    assert f"Order {order.number}" in card and order.lines[0].sku in card and order.status.value in card
    # Order numbers are per organisation: the same number shows the caller's own order, never the other's.
    theirs = render_reference(services, who("fynbos"), f"order:{order.number}", [])
    try:
        own = services.orders.get("fynbos", order.number)
    except NotFound:
        assert "Not found" in theirs
    else:
        assert own.customer.name in theirs and order.customer.name not in theirs
    assert "Nothing to show" in render_reference(services, who("bergveld"), "javascript:alert(1)", [])
    assert "earlier session" in render_reference(services, who("bergveld"), "c5", [])


def test_knowledge_base_only_roles_never_see_product_or_order_cards(services):
    """Support staff read the knowledge base only: a product or order link shows "not found" for them, the same
    rule their search and chat follow (`assistant.application.references`)."""
    support = Principal(org_id="bergveld", role=Role.support, key_id="k")
    order = services.orders.list("bergveld", limit=1)[0]
    assert "Not found" in render_reference(services, support, "product:BV-TENT-0001", [])
    assert "Not found" in render_reference(services, support, f"order:{order.number}", [])
    admin = Principal(org_id="bergveld", role=Role.admin, key_id="k")  # admins search every type, so they may
    assert '<div class="fx-ref-sub">BV-TENT-0001</div>' in render_reference(services, admin, "product:BV-TENT-0001", [])
