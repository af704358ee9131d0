"""`domain.invariants`: data written through the repositories keeps every invariant; each one breached by a write
behind their back (as a bug, a bad import or a hand edit would) is reported, naming the organisation and what.
On the session emulator, a database (project) per test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from google.cloud import firestore

from domain.confirmations import ConfirmationRepository, ProposedAction
from domain.invariants import CHECKS, verify
from domain.orders import Customer, OrderLineInput
from domain.recovery import CONFIRMATION_TTL, RESERVATION_TTL
from domain.store import utcnow
from tests.domain.fixtures import ORG, OTHER, Repos, make_org, repos


@pytest.fixture
def r(store) -> Repos:
    r = repos(store)
    make_org(r, stock=10)
    make_org(r, OTHER, stock=5)
    r.credits.grant(ORG, 50_000, "welcome")
    r.inventory.transfer(ORG, "AC-TENT-0001", "JHB", "DBN", 3)
    order = r.orders.place(ORG, "takealot", Customer(name="Thandi"), lines("AC-TENT-0001", 2), "JHB")
    r.orders.transition(ORG, order.number, "confirmed")
    shipped = r.orders.place(ORG, "webshop", Customer(name="Piet"), lines("AC-LAMP-0001", 1), "CPT")
    for status in ("confirmed", "picking", "shipped"):
        r.orders.transition(ORG, shipped.number, status)
    r.orders.place(OTHER, "amazon", Customer(name="Lindiwe"), lines("AC-TENT-0001", 1), "JHB")
    r.orders.cancel(OTHER, 1001)
    r.credits.reserve(ORG, "req-1", 2000)
    r.credits.settle(ORG, "req-1", 1500)
    return r


def lines(sku: str, quantity: int) -> list[OrderLineInput]:
    return [OrderLineInput(sku=sku, quantity=quantity)]


def breaches(r: Repos, now=None) -> list[tuple[str, str, str]]:
    return [(b.org_id, b.check, b.subject) for b in verify(r.store.client, now=now).breaches]


def test_data_written_through_the_repositories_keeps_every_invariant(r):
    report = verify(r.store.client)
    assert [org.org_id for org in report.orgs] == [ORG, OTHER]
    assert report.ok, report.breaches
    mine = report.orgs[0]
    assert set(mine.checked) == set(CHECKS)
    assert mine.checked["ledger"] == 3 and mine.checked["stock"] == 3 and mine.checked["orders"] == 2


def test_an_empty_database_has_no_organisations(store):
    report = verify(store.client)
    assert report.orgs == [] and report.ok


def test_a_balance_the_ledger_does_not_sum_to_is_a_breach_of_that_organisation_only(r):
    r.store.col(ORG, "billing").document("credits").update({"balance_mc": firestore.Increment(1)})
    [breach] = verify(r.store.client).breaches
    assert (breach.org_id, breach.check) == (ORG, "ledger")
    assert "difference +1" in breach.detail


def test_a_ledger_entry_without_its_account_is_a_breach(r):
    r.store.col(OTHER, "ledger").document("grant-x").set({"amount_mc": 5, "kind": "grant"})
    r.store.col(OTHER, "billing").document("credits").delete()
    assert breaches(r) == [(OTHER, "ledger", "credits account")]


def test_stock_that_its_movements_do_not_explain_is_a_breach(r):
    r.store.col(ORG, "stock").document("AC-TENT-0001__DBN").update({"on_hand": firestore.Increment(4)})
    found = breaches(r)
    # The product's totals were not moved either: both are reported.
    assert (ORG, "stock", "AC-TENT-0001 in DBN") in found
    assert (ORG, "reorder", "AC-TENT-0001") in found


def test_reserved_stock_that_no_open_order_holds_is_a_breach(r):
    r.store.col(ORG, "stock").document("AC-TENT-0001__JHB").update({"reserved": 0})
    found = [b for b in verify(r.store.client).breaches if b.check == "stock"]
    assert [(b.subject, b.detail) for b in found] == [("AC-TENT-0001 in JHB", "0 reserved, its open orders hold 2")]


def test_product_totals_that_differ_from_the_stock_are_a_breach(r):
    r.store.col(ORG, "products").document("AC-LAMP-0001").update({"shortfall": -100})
    assert breaches(r) == [(ORG, "reorder", "AC-LAMP-0001")]


def test_order_units_and_totals_that_differ_from_the_lines_are_a_breach(r):
    r.store.col(ORG, "orders").document("1001").update({"units": 7, "total_cents": 1})
    found = [(b.subject, b.detail.split(",")[0]) for b in verify(r.store.client).breaches]
    assert found == [("order 1001", "units 7"), ("order 1001", "subtotal/VAT/total 499800/74970/1 cents")]


def test_a_reservation_open_past_its_ttl_is_a_breach(r):
    r.credits.reserve(ORG, "req-died", 1000)
    assert breaches(r) == []  # its request may still be running
    later = utcnow() + RESERVATION_TTL + timedelta(minutes=1)
    assert breaches(r, now=later) == [(ORG, "reservations", "reservation req-died")]


def test_a_confirmation_processing_past_its_ttl_is_a_breach(r):
    confirmations = ConfirmationRepository(r.store, ttl_seconds=900)
    action = ProposedAction(tool="transfer_stock", args={"sku": "AC-TENT-0001"})
    confirmations.create(ORG, "conv-1", "conf-1", "move 1 tent", [action])
    confirmations.create(ORG, "conv-2", "conf-2", "move 2 tents", [action])
    confirmations.claim(ORG, "conf-1", "approve", "req-c1")  # its run never finished
    assert breaches(r) == []
    later = utcnow() + CONFIRMATION_TTL + timedelta(minutes=1)
    assert breaches(r, now=later) == [(ORG, "confirmations", "confirmation conf-1")]  # a pending one is not stuck
