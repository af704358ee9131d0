from __future__ import annotations

from collections import defaultdict

import pytest

from domain.demo import DEMO_KEYS, DEMO_ORGS, seed
from domain.orders import OPEN_STATUSES
from tests.domain.fixtures import repos


def snapshot(store) -> dict[str, tuple]:
    docs = {}
    for org in DEMO_ORGS:
        ref = store.org(org.id)
        docs[ref.path] = (ref.get().update_time,)
        for col in ref.collections():
            for snap in col.stream():
                docs[snap.reference.path] = (snap.update_time, snap.to_dict())
    for snap in store.client.collection("api_keys").stream():
        docs[snap.reference.path] = (snap.update_time,)
    return docs


@pytest.fixture
def seeded(store):
    assert seed(store) == {org.id: True for org in DEMO_ORGS}
    return store


def test_demo_data_is_complete_and_consistent(seeded):
    r = repos(seeded)
    for org in DEMO_ORGS:
        products = r.products.list(org.id)
        assert 180 <= len(products) <= 220
        assert [w.code for w in r.inventory.warehouses(org.id)] == ["CPT", "DBN", "JHB"]
        orders = r.orders.list(org.id, limit=1000)
        assert len(orders) == 500
        assert {o.channel.value for o in orders} == {"takealot", "amazon", "webshop"}
        assert len({o.status for o in orders}) == 7
        assert len(r.shipments.list(org.id)) == 10
        assert r.credits.account(org.id).balance_mc == org.credits * 1000
        assert r.credits.ledger_total(org.id) == org.credits * 1000
        assert r.inventory.low_stock(org.id), "the demo should have something to reorder"
        held = defaultdict(int)
        for order in orders:
            if order.status in OPEN_STATUSES:
                for line in order.lines:
                    held[(line.sku, order.warehouse)] += line.quantity
        levels = r.inventory.all_levels(org.id)
        assert len(levels) == 3 * len(products)
        for level in levels:
            assert level.reserved == held[(level.sku, level.warehouse)]
            assert level.available >= 0
        # The next order continues the numbering.
        assert r.orders.list(org.id, limit=1)[0].number == 1500
    for key, (org_id, role) in DEMO_KEYS.items():
        principal = r.keys.authenticate(key)
        assert (principal.org_id, principal.role) == (org_id, role)


def test_seeding_twice_changes_nothing(seeded):
    before = snapshot(seeded)
    assert seed(seeded) == {org.id: False for org in DEMO_ORGS}
    assert snapshot(seeded) == before


def test_an_interrupted_seed_is_redone(store):
    org = DEMO_ORGS[0]
    store.org(org.id).set({"id": org.id, "name": org.name, "seeded": False})
    assert seed(store)[org.id] is True
    assert len(repos(store).products.list(org.id)) > 150
