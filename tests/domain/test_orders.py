from __future__ import annotations

from datetime import timedelta

import pytest
from google.cloud import firestore

from domain.errors import IllegalTransition, InsufficientStock, InvalidInput, NotFound
from domain.orders import TRANSITIONS, Channel, Customer, OrderLineInput, OrderStatus
from domain.store import utcnow
from tests.domain.fixtures import ORG, make_org, repos

BUYER = Customer(name="Lerato M", email="lerato@example.co.za", city="Pretoria")


@pytest.fixture
def r(store):
    r = repos(store)
    make_org(r, stock=10)
    return r


def place(r, qty=2, sku="AC-TENT-0001", warehouse="JHB", channel="takealot", **kw):
    return r.orders.place(ORG, channel, BUYER, [OrderLineInput(sku=sku, quantity=qty)], warehouse, **kw)


def tent(r):
    return r.inventory.level(ORG, "AC-TENT-0001", "JHB")


def test_place_order_reserves_stock_and_computes_vat(r):
    order = place(r, qty=3)
    assert order.number == 1001
    assert order.status == OrderStatus.pending
    assert order.subtotal_cents == 3 * 249900
    assert order.vat_cents == 112455  # 15% of R7,497.00
    assert order.total_cents == order.subtotal_cents + order.vat_cents
    assert (tent(r).on_hand, tent(r).reserved, tent(r).available) == (10, 3, 7)
    assert place(r, qty=1).number == 1002
    assert r.orders.get(ORG, "#1001").lines[0].title == "Dome tent 2p"


def test_place_is_idempotent_with_a_key(r):
    first = place(r, qty=2, idempotency_key="takealot-98765")
    again = place(r, qty=2, idempotency_key="takealot-98765")
    assert again.number == first.number
    assert tent(r).reserved == 2


def test_full_lifecycle_moves_stock(r):
    order = place(r, qty=4)
    for status in ("confirmed", "picking", "shipped"):
        order = r.orders.transition(ORG, order.number, status, actor="ops")
    assert (tent(r).on_hand, tent(r).reserved) == (6, 0)
    order = r.orders.transition(ORG, order.number, "delivered")
    order = r.orders.transition(ORG, order.number, "returned")
    assert (tent(r).on_hand, tent(r).reserved) == (10, 0)
    assert [h.status for h in order.history] == [
        OrderStatus.pending,
        OrderStatus.confirmed,
        OrderStatus.picking,
        OrderStatus.shipped,
        OrderStatus.delivered,
        OrderStatus.returned,
    ]


@pytest.mark.parametrize("at", ["pending", "confirmed", "picking"])
def test_cancel_releases_reserved_stock(r, at):
    order = place(r, qty=5)
    path = ["confirmed", "picking"][: ["pending", "confirmed", "picking"].index(at)]
    for status in path:
        r.orders.transition(ORG, order.number, status)
    assert r.orders.cancel(ORG, order.number).status == OrderStatus.cancelled
    assert (tent(r).on_hand, tent(r).reserved) == (10, 0)


ALL = list(OrderStatus)
ILLEGAL = [(a, b) for a in ALL for b in ALL if a != b and b not in TRANSITIONS[a]]


def reach(r, target: OrderStatus):
    order = place(r, qty=1)
    path = {
        OrderStatus.pending: [],
        OrderStatus.confirmed: ["confirmed"],
        OrderStatus.picking: ["confirmed", "picking"],
        OrderStatus.shipped: ["confirmed", "picking", "shipped"],
        OrderStatus.delivered: ["confirmed", "picking", "shipped", "delivered"],
        OrderStatus.cancelled: ["cancelled"],
        OrderStatus.returned: ["confirmed", "picking", "shipped", "delivered", "returned"],
    }[target]
    for status in path:
        order = r.orders.transition(ORG, order.number, status)
    return order


@pytest.mark.parametrize(("current", "target"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_illegal_transitions_are_refused_and_change_nothing(r, current, target):
    order = reach(r, current)
    before = (tent(r).on_hand, tent(r).reserved)
    with pytest.raises(IllegalTransition, match=f"is {current.value} and cannot become {target.value}"):
        r.orders.transition(ORG, order.number, target)
    assert r.orders.get(ORG, order.number).status == current
    assert (tent(r).on_hand, tent(r).reserved) == before


def test_bad_orders_are_refused_and_write_nothing(r):
    with pytest.raises(NotFound, match="AC-NOPE-0001"):
        place(r, sku="AC-NOPE-0001")
    with pytest.raises(InsufficientStock):
        place(r, qty=11)
    with pytest.raises(InvalidInput):
        place(r, channel="ebay")
    with pytest.raises(ValueError):
        OrderLineInput(sku="AC-TENT-0001", quantity=-1)
    with pytest.raises(NotFound):
        place(r, warehouse="PTA")
    with pytest.raises(InvalidInput):
        r.orders.place(ORG, "takealot", BUYER, [], "JHB")
    assert r.orders.list(ORG) == []
    assert tent(r).reserved == 0
    with pytest.raises(InvalidInput, match="unknown order status"):
        r.orders.transition(ORG, 1001, "lost")
    with pytest.raises(NotFound):
        r.orders.get(ORG, 999999)
    with pytest.raises(InvalidInput):
        r.orders.get(ORG, "abc")


def test_list_filters_and_sales_summary(r):
    place(r, qty=1, channel="takealot")
    place(r, qty=2, channel="amazon")
    third = place(r, qty=1, sku="AC-LAMP-0001", warehouse="CPT", channel="webshop")
    cancelled = place(r, qty=1, channel="takealot")
    r.orders.cancel(ORG, cancelled.number)
    assert [o.number for o in r.orders.list(ORG, channel=Channel.amazon)] == [1002]
    assert [o.number for o in r.orders.list(ORG, status="cancelled")] == [cancelled.number]
    assert len(r.orders.list(ORG, since=utcnow() - timedelta(hours=1))) == 4
    assert r.orders.list(ORG, until=utcnow() - timedelta(hours=1)) == []
    summary = {row.channel: row for row in r.orders.sales_summary(ORG, utcnow() - timedelta(days=1))}
    assert summary[Channel.takealot].orders == 1  # the cancelled one is not a sale
    assert summary[Channel.amazon].units == 2
    assert summary[Channel.webshop].revenue_cents == third.total_cents
    with pytest.raises(InvalidInput):
        r.orders.sales_summary(ORG, utcnow(), utcnow() - timedelta(days=1))
    # Orders stored before `units` existed are summed again once recounted.
    r.store.col(ORG, "orders").document("1002").update({"units": firestore.DELETE_FIELD})
    assert {row.channel: row for row in r.orders.sales_summary(ORG, utcnow() - timedelta(days=1))}[
        Channel.amazon
    ].units == 0
    assert r.orders.recount_units(ORG) == 1
    assert {row.channel: row for row in r.orders.sales_summary(ORG, utcnow() - timedelta(days=1))}[
        Channel.amazon
    ].units == 2
