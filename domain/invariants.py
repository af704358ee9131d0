"""The invariants every organisation's data keeps, checked on any database (`fluxori backup verify`).

The repositories keep them inside transactions; this module reads the data back and says where they do not
hold: after a restore, an import from elsewhere, a bug or a hand edit. Per organisation:

- ledger: the ledger entries sum to the credits balance;
- stock: each stock level's units on hand are the sum of its movements, and its reserved units are what the
  open orders (pending, confirmed, picking) of that warehouse hold;
- reorder: each product's `available_total` and `shortfall` (the low-stock report's figures) match its stock;
- orders: each order's `units`, subtotal, VAT and total match its lines;
- reservations: no credit reservation is open for longer than `RESERVATION_TTL` (its request died; the server's
  recovery sweep refunds it within a minute);
- confirmations: none is `processing` (claimed, its run not finished) for longer than `CONFIRMATION_TTL`.

An organisation is read in one read-only transaction, so a live database gives a consistent picture (a write in
flight never shows up as a breach). Reads are whole collections: this is an operator's check, not a request.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from google.cloud import firestore
from google.cloud.firestore_v1.aggregation import AggregationQuery
from google.cloud.firestore_v1.base_query import FieldFilter

from domain.orders import OPEN_STATUSES, OrderLine, order_totals
from domain.recovery import CONFIRMATION_TTL, RESERVATION_TTL
from domain.store import BULK_DEADLINE_SECONDS, Store, utcnow

CHECKS: dict[str, str] = {
    "ledger": "ledger sums to the balance",
    "stock": "movements = on hand, open orders = reserved",
    "reorder": "product stock totals = stock levels",
    "orders": "order units and totals = lines",
    "reservations": f"no reservation open > {RESERVATION_TTL.total_seconds() / 60:g} min",
    "confirmations": f"no confirmation processing > {CONFIRMATION_TTL.total_seconds() / 60:g} min",
}
Key = tuple[str, str]  # (sku, warehouse)


@dataclass(frozen=True)
class Breach:
    org_id: str
    check: str  # a key of CHECKS
    subject: str  # what does not hold: "BV-TENT-0001 in JHB", "order 1042", "reservation req-1"
    detail: str


@dataclass
class OrgReport:
    org_id: str
    checked: dict[str, int] = field(default_factory=dict[str, int])  # per check: how many rows were looked at
    breaches: list[Breach] = field(default_factory=list[Breach])

    def breach(self, check: str, subject: str, detail: str) -> None:
        self.breaches.append(Breach(self.org_id, check, subject, detail))

    def breaches_of(self, check: str) -> list[Breach]:
        return [b for b in self.breaches if b.check == check]


@dataclass
class Report:
    orgs: list[OrgReport]

    @property
    def breaches(self) -> list[Breach]:
        return [b for org in self.orgs for b in org.breaches]

    @property
    def ok(self) -> bool:
        return not self.breaches


def org_ids(client: firestore.Client) -> list[str]:
    """Every organisation, also one whose document is gone but whose collections remain."""
    return sorted(ref.id for ref in client.collection("orgs").list_documents())


def verify(client: firestore.Client, now: datetime | None = None, orgs: list[str] | None = None) -> Report:
    store = Store.connect(client)
    now = now or utcnow()
    return Report([verify_org(store, org, now) for org in (orgs if orgs is not None else org_ids(client))])


def verify_org(store: Store, org_id: str, now: datetime | None = None) -> OrgReport:
    now = now or utcnow()

    @firestore.transactional
    def read(tx: firestore.Transaction) -> OrgReport:
        report = OrgReport(org_id)
        books = _Reader(store, org_id, tx)
        _ledger(books, report)
        orders = books.rows("orders")
        _stock(books, orders, report)
        _orders(orders, report)
        _reservations(books, report, now)
        _confirmations(books, report, now)
        return report

    result: OrgReport = read(store.client.transaction(read_only=True))
    return result


class _Reader:
    """An organisation's collections, read inside one read-only transaction."""

    def __init__(self, store: Store, org_id: str, tx: firestore.Transaction) -> None:
        self.store, self.org_id, self.tx = store, org_id, tx

    def rows(self, name: str, *filters: FieldFilter) -> list[dict[str, Any]]:
        return [snap.to_dict() or {} for snap in self.snapshots(name, *filters)]

    def snapshots(self, name: str, *filters: FieldFilter) -> Iterator[firestore.DocumentSnapshot[Any]]:
        query: firestore.CollectionReference | firestore.Query = self.store.col(self.org_id, name)
        for where in filters:
            query = query.where(filter=where)
        yield from query.stream(transaction=self.tx, timeout=BULK_DEADLINE_SECONDS)

    def document(self, name: str, doc_id: str) -> dict[str, Any] | None:
        snap = self.store.col(self.org_id, name).document(doc_id).get(transaction=self.tx)
        return (snap.to_dict() or {}) if snap.exists else None


def _ledger(books: _Reader, report: OrgReport) -> None:
    # Cast: the SDK annotates `CollectionReference.sum` as returning the class, not an instance.
    total = cast(AggregationQuery, books.store.col(books.org_id, "ledger").sum("amount_mc", alias="total"))
    aggregation = total.count(alias="entries")
    values = {r.alias: int(r.value or 0) for r in aggregation.get(transaction=books.tx)[0]}
    report.checked["ledger"] = values["entries"]
    account = books.document("billing", "credits")
    if account is None:
        if values["entries"]:
            report.breach("ledger", "credits account", f"missing, but {values['entries']} ledger entries exist")
        return
    balance = int(account.get("balance_mc", 0))
    if balance != values["total"]:
        report.breach(
            "ledger",
            "credits balance",
            f"balance {balance} mc, ledger sums to {values['total']} mc (difference {balance - values['total']:+d})",
        )


def _stock(books: _Reader, orders: list[dict[str, Any]], report: OrgReport) -> None:
    moved: dict[Key, int] = defaultdict(int)
    for movement in books.rows("stock_movements"):
        moved[(movement["sku"], movement["warehouse"])] += int(movement.get("on_hand_delta", 0))
    held: dict[Key, int] = defaultdict(int)
    for order in orders:
        if order.get("status") in OPEN_STATUSES:
            for line in order.get("lines", []):
                held[(line["sku"], order["warehouse"])] += int(line["quantity"])
    levels = {(row["sku"], row["warehouse"]): row for row in books.rows("stock")}
    report.checked["stock"] = len(levels)
    for key in sorted(levels.keys() | moved.keys() | held.keys()):
        level = levels.get(key, {})
        on_hand, reserved = int(level.get("on_hand", 0)), int(level.get("reserved", 0))
        subject = f"{key[0]} in {key[1]}"
        if on_hand != moved.get(key, 0):
            report.breach("stock", subject, f"{on_hand} on hand, its movements sum to {moved.get(key, 0)}")
        if reserved != held.get(key, 0):
            report.breach("stock", subject, f"{reserved} reserved, its open orders hold {held.get(key, 0)}")
    _reorder(books, levels, report)


def _reorder(books: _Reader, levels: dict[Key, dict[str, Any]], report: OrgReport) -> None:
    available: dict[str, int] = defaultdict(int)
    for (sku, _), level in levels.items():
        available[sku] += int(level.get("on_hand", 0)) - int(level.get("reserved", 0))
    products = list(books.snapshots("products"))
    report.checked["reorder"] = len(products)
    for snap in products:
        data = snap.to_dict() or {}
        total, shortfall = data.get("available_total"), data.get("shortfall")
        expected = available.get(snap.id, 0)
        if total is None or shortfall is None:
            report.breach("reorder", snap.id, "no stock totals: `fluxori admin recount --org ORG` writes them")
        elif total != expected or shortfall != int(data.get("reorder_point") or 0) - expected:
            report.breach(
                "reorder",
                snap.id,
                f"available_total {total} and shortfall {shortfall}, its stock says {expected} available "
                f"(reorder point {data.get('reorder_point') or 0})",
            )


def _orders(orders: list[dict[str, Any]], report: OrgReport) -> None:
    report.checked["orders"] = len(orders)
    for order in orders:
        lines = [OrderLine(**line) for line in order.get("lines", [])]
        units = sum(line.quantity for line in lines)
        subject = f"order {order.get('number')}"
        if order.get("units") != units:
            report.breach("orders", subject, f"units {order.get('units')}, its lines hold {units}")
        stored = (order.get("subtotal_cents"), order.get("vat_cents"), order.get("total_cents"))
        if stored != order_totals(lines):
            subtotal, vat, total = order_totals(lines)
            report.breach(
                "orders",
                subject,
                f"subtotal/VAT/total {'/'.join(map(str, stored))} cents, its lines give {subtotal}/{vat}/{total}",
            )


def _reservations(books: _Reader, report: OrgReport, now: datetime) -> None:
    open_ = books.rows("reservations", FieldFilter("status", "==", "open"))
    report.checked["reservations"] = len(open_)
    for row in open_:
        if row["created_at"] < now - RESERVATION_TTL:
            report.breach(
                "reservations",
                f"reservation {row['request_id']}",
                f"open since {row['created_at']:%Y-%m-%d %H:%M} UTC, holding {row['amount_mc']} mc; a running "
                "`fluxori serve` refunds it within a minute",
            )


def _confirmations(books: _Reader, report: OrgReport, now: datetime) -> None:
    processing = list(books.snapshots("confirmations", FieldFilter("status", "==", "processing")))
    report.checked["confirmations"] = len(processing)
    for snap in processing:
        data = snap.to_dict() or {}
        since = data.get("claimed_at") or data["created_at"]
        if since < now - CONFIRMATION_TTL:
            report.breach(
                "confirmations",
                f"confirmation {snap.id}",
                f"processing ({data.get('decision') or 'no decision'}) since {since:%Y-%m-%d %H:%M} UTC; a running "
                "`fluxori serve` settles it within a minute",
            )
