from __future__ import annotations

import random

import pytest
from google.cloud import firestore

from domain.catalog import Product
from domain.errors import IllegalTransition, InsufficientStock, InvalidInput, NotFound
from domain.inventory import MovementKind
from domain.orders import Customer, OrderLineInput
from tests.domain.fixtures import ORG, make_org, repos


@pytest.fixture
def r(store):
    r = repos(store)
    make_org(r, stock=10)
    return r


def stock_docs(r):
    return sorted((s.id, s.get("on_hand"), s.get("reserved")) for s in r.store.col(ORG, "stock").stream())


def movement_count(r):
    return len(list(r.store.col(ORG, "stock_movements").stream()))


def test_products_crud_and_listing(r):
    assert r.products.get(ORG, "ac-tent-0001").title == "Dome tent 2p"
    assert [p.sku for p in r.products.list(ORG)] == ["AC-LAMP-0001", "AC-TENT-0001"]
    assert [p.sku for p in r.products.list(ORG, category="lighting")] == ["AC-LAMP-0001"]
    assert r.products.set_reorder_point(ORG, "AC-LAMP-0001", 7).reorder_point == 7
    assert r.products.get(ORG, "AC-LAMP-0001").reorder_point == 7
    with pytest.raises(NotFound):
        r.products.get(ORG, "AC-NOPE-0001")
    with pytest.raises(InvalidInput):
        r.products.get(ORG, "no spaces allowed")
    with pytest.raises(InvalidInput):
        r.products.set_reorder_point(ORG, "AC-LAMP-0001", -1)
    with pytest.raises(ValueError):
        Product(sku="AC-X-0001", title="x", category="c", price_cents=-5)


def test_warehouses(r):
    assert [w.code for w in r.inventory.warehouses(ORG)] == ["CPT", "DBN", "JHB"]
    assert r.inventory.warehouse(ORG, "dbn").city == "Durban"
    with pytest.raises(NotFound, match=r"known warehouses: CPT \(Cape Town\), DBN \(Durban\), JHB \(Johannesburg\)"):
        r.inventory.warehouse(ORG, "PTA")


def test_adjust_and_levels(r):
    level = r.inventory.adjust(ORG, "AC-TENT-0001", "JHB", -3, "damaged in storage", actor="thandi")
    assert (level.on_hand, level.available) == (7, 7)
    levels = {lvl.warehouse: lvl.on_hand for lvl in r.inventory.levels_for_sku(ORG, "AC-TENT-0001")}
    assert levels == {"CPT": 0, "DBN": 0, "JHB": 7}
    moves = r.inventory.movements(ORG, "AC-TENT-0001")
    assert [(m.kind, m.on_hand_delta) for m in moves][:2] == [(MovementKind.adjust, -3), (MovementKind.adjust, 10)]


def test_adjust_idempotency_key_applies_once(r):
    for _ in range(3):
        r.inventory.adjust(ORG, "AC-TENT-0001", "JHB", 5, "found stock", idempotency_key="count-42")
    assert r.inventory.level(ORG, "AC-TENT-0001", "JHB").on_hand == 15


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda r: r.inventory.adjust(ORG, "AC-TENT-0001", "JHB", -11, "too many"), InsufficientStock),
        (lambda r: r.inventory.adjust(ORG, "AC-TENT-0001", "JHB", 0, "nothing"), InvalidInput),
        (lambda r: r.inventory.adjust(ORG, "AC-TENT-0001", "JHB", 1, "  "), InvalidInput),
        (lambda r: r.inventory.adjust(ORG, "AC-NOPE-0001", "JHB", 1, "x"), NotFound),
        (lambda r: r.inventory.adjust(ORG, "AC-TENT-0001", "PTA", 1, "x"), NotFound),
        (lambda r: r.inventory.transfer(ORG, "AC-TENT-0001", "JHB", "JHB", 1), InvalidInput),
        (lambda r: r.inventory.transfer(ORG, "AC-TENT-0001", "JHB", "CPT", -2), InvalidInput),
        (lambda r: r.inventory.transfer(ORG, "AC-TENT-0001", "JHB", "CPT", 11), InsufficientStock),
        (lambda r: r.inventory.transfer(ORG, "AC-NOPE-0001", "JHB", "CPT", 1), NotFound),
    ],
)
def test_bad_stock_changes_are_refused_and_write_nothing(r, call, error):
    before, moves = stock_docs(r), movement_count(r)
    with pytest.raises(error):
        call(r)
    assert stock_docs(r) == before
    assert movement_count(r) == moves


def test_transfer_moves_stock_atomically(r):
    result = r.inventory.transfer(ORG, "AC-TENT-0001", "JHB", "DBN", 4, actor="sipho")
    assert (result.source.on_hand, result.destination.on_hand) == (6, 4)
    levels = {lvl.warehouse: lvl.on_hand for lvl in r.inventory.levels_for_sku(ORG, "AC-TENT-0001")}
    assert levels == {"CPT": 0, "DBN": 4, "JHB": 6}
    kinds = {m.kind for m in r.inventory.movements(ORG, "AC-TENT-0001")}
    assert {MovementKind.transfer_in, MovementKind.transfer_out} <= kinds


def test_low_stock_report(r):
    # Tent: reorder point 15 with 10 available -> low; lamp: reorder point 2 with 10 -> fine.
    rows = r.inventory.low_stock(ORG)
    assert [(p.sku, available) for p, available in rows] == [("AC-TENT-0001", 10)]
    r.products.set_reorder_point(ORG, "AC-LAMP-0001", 50)
    assert [p.sku for p, _ in r.inventory.low_stock(ORG)] == ["AC-LAMP-0001", "AC-TENT-0001"]


def low_stock_counted_from_scratch(r) -> list[tuple[str, int]]:
    """The report as the definition says, from every stock level and product: what the kept totals must equal."""
    available: dict[str, int] = {}
    for level in r.inventory.all_levels(ORG):
        available[level.sku] = available.get(level.sku, 0) + level.available
    rows = [
        (p.sku, available.get(p.sku, 0))
        for p in r.products.list(ORG)
        if p.reorder_point > 0 and available.get(p.sku, 0) < p.reorder_point
    ]
    return sorted(rows, key=lambda row: (row[1] - r.products.get(ORG, row[0]).reorder_point, row[0]))


def test_stock_totals_follow_every_kind_of_stock_change(r):
    """Random adjustments, transfers, orders through their whole life, reorder points and catalogue updates: the
    low-stock report (one query on the kept totals) always equals the report counted from the stock levels."""
    rng = random.Random(7)
    skus, warehouses = ["AC-TENT-0001", "AC-LAMP-0001"], ["JHB", "CPT", "DBN"]
    open_orders: list[int] = []
    for step in range(60):
        sku, warehouse = rng.choice(skus), rng.choice(warehouses)
        action = rng.choice(["adjust", "transfer", "order", "advance", "cancel", "reorder", "upsert"])
        try:
            if action == "adjust":
                r.inventory.adjust(ORG, sku, warehouse, rng.choice([-3, -1, 2, 5]), "count correction")
            elif action == "transfer":
                r.inventory.transfer(ORG, sku, warehouse, rng.choice(warehouses), rng.randint(1, 4))
            elif action == "order":
                line = OrderLineInput(sku=sku, quantity=rng.randint(1, 3))
                open_orders.append(r.orders.place(ORG, "takealot", Customer(name="Buyer"), [line], warehouse).number)
            elif action == "advance" and open_orders:
                number = rng.choice(open_orders)
                status = r.orders.get(ORG, number).status
                following = {"pending": "confirmed", "confirmed": "picking", "picking": "shipped"}
                if status.value in following:
                    r.orders.transition(ORG, number, following[status.value])
            elif action == "cancel" and open_orders:
                r.orders.cancel(ORG, open_orders.pop(rng.randrange(len(open_orders))))
            elif action == "reorder":
                r.products.set_reorder_point(ORG, sku, rng.randint(0, 20))
            elif action == "upsert":
                product = r.products.get(ORG, sku)
                r.products.upsert(ORG, product.model_copy(update={"price_cents": product.price_cents + 100}))
        except (InsufficientStock, InvalidInput, IllegalTransition):
            pass  # refused changes must leave the totals alone too
        if step % 10 == 9:
            assert [(p.sku, n) for p, n in r.inventory.low_stock(ORG)] == low_stock_counted_from_scratch(r), step
    assert r.inventory.recount(ORG) == 0  # nothing had drifted


def test_recount_rebuilds_totals_that_are_missing(r):
    for snap in r.store.col(ORG, "products").stream():  # as data written before the totals existed
        snap.reference.update({"available_total": firestore.DELETE_FIELD, "shortfall": firestore.DELETE_FIELD})
    assert r.inventory.low_stock(ORG) == []
    assert r.inventory.recount(ORG) == 2
    assert [(p.sku, n) for p, n in r.inventory.low_stock(ORG)] == [("AC-TENT-0001", 10)]


def test_stock_of_a_deleted_product_still_moves(r):
    order = r.orders.place(
        ORG, "takealot", Customer(name="Buyer"), [OrderLineInput(sku="AC-LAMP-0001", quantity=2)], "CPT"
    )
    r.products.delete(ORG, "AC-LAMP-0001")
    assert r.orders.cancel(ORG, order.number).status.value == "cancelled"  # releases the stock, creates no product
    assert not r.store.col(ORG, "products").document("AC-LAMP-0001").get().exists
