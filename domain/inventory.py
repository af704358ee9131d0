"""Warehouses, stock levels per SKU and warehouse, and the append-only log of stock movements.

Invariants, kept inside Firestore transactions: available (on hand - reserved) is never negative, and a
transfer moves stock between two warehouses in one commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import BaseModel, Field

from domain.catalog import Product, ProductRepository, normalise_sku, stock_totals
from domain.errors import InsufficientStock, InvalidInput, NotFound
from domain.idempotency import Idempotency
from domain.store import BatchedWriter, Store, utcnow


class Warehouse(BaseModel):
    code: str
    name: str
    city: str
    address: str = ""


class StockLevel(BaseModel):
    sku: str
    warehouse: str
    on_hand: int = 0
    reserved: int = 0
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def doc_id(self) -> str:
        return stock_id(self.sku, self.warehouse)


class MovementKind(StrEnum):
    adjust = "adjust"
    transfer_out = "transfer_out"
    transfer_in = "transfer_in"
    reserve = "reserve"
    release = "release"
    ship = "ship"
    restock = "restock"


class StockMovement(BaseModel):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    sku: str
    warehouse: str
    kind: MovementKind
    on_hand_delta: int = 0
    reserved_delta: int = 0
    reason: str = ""
    reference: str = ""
    actor: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class TransferResult(BaseModel):
    sku: str
    quantity: int
    source: StockLevel
    destination: StockLevel


def stock_id(sku: str, warehouse: str) -> str:
    return f"{sku}__{warehouse}"


def available_by_product(levels: Iterable[StockLevel]) -> dict[str, int]:
    """Available units per SKU over all warehouses."""
    totals: dict[str, int] = {}
    for level in levels:
        totals[level.sku] = totals.get(level.sku, 0) + level.available
    return totals


class StockBook:
    """The stock documents one transaction works on: read all first (Firestore's rule), change, then write."""

    def __init__(self, store: Store, org_id: str, tx: firestore.Transaction, keys: Iterable[tuple[str, str]]):
        self.store, self.org_id, self.tx = store, org_id, tx
        col, products = store.col(org_id, "stock"), store.col(org_id, "products")
        self.levels: dict[tuple[str, str], StockLevel] = {}
        unique = sorted(set(keys))
        skus = sorted({sku for sku, _ in unique})
        refs = [col.document(stock_id(*key)) for key in unique] + [products.document(sku) for sku in skus]
        snaps = {snap.reference.path: snap for snap in tx.get_all(refs)}
        for sku, warehouse in unique:
            snap = snaps.get(col.document(stock_id(sku, warehouse)).path)
            data = (snap.to_dict() or {}) if snap is not None and snap.exists else {"sku": sku, "warehouse": warehouse}
            self.levels[(sku, warehouse)] = StockLevel(**data)
        self.opening = dict(self.levels)
        # Products still in the catalogue (stock of a deleted one can still move, e.g. when its order is cancelled).
        self.products = {sku for sku in skus if (snap := snaps.get(products.document(sku).path)) and snap.exists}
        self.movements: list[StockMovement] = []

    def change(
        self,
        sku: str,
        warehouse: str,
        kind: MovementKind,
        on_hand: int = 0,
        reserved: int = 0,
        reason: str = "",
        reference: str = "",
        actor: str = "",
    ) -> StockLevel:
        level = self.levels[(sku, warehouse)]
        new = level.model_copy(update={"on_hand": level.on_hand + on_hand, "reserved": level.reserved + reserved})
        if new.on_hand < 0 or new.reserved < 0 or new.available < 0:
            raise InsufficientStock(
                f"not enough stock of {sku} in {warehouse}: {level.available} available "
                f"({level.on_hand} on hand, {level.reserved} reserved)",
                sku=sku,
                warehouse=warehouse,
                available=level.available,
            )
        self.levels[(sku, warehouse)] = new
        self.movements.append(
            StockMovement(
                sku=sku,
                warehouse=warehouse,
                kind=kind,
                on_hand_delta=on_hand,
                reserved_delta=reserved,
                reason=reason,
                reference=reference,
                actor=actor,
            )
        )
        return new

    def write(self) -> None:
        now = utcnow()
        touched = {(m.sku, m.warehouse) for m in self.movements}
        for key in touched:
            level = self.levels[key].model_copy(update={"updated_at": now})
            self.tx.set(self.store.col(self.org_id, "stock").document(level.doc_id), level.model_dump())
        for movement in self.movements:
            self.tx.set(self.store.col(self.org_id, "stock_movements").document(movement.id), movement.model_dump())
        # The product's totals (domain.catalog.stock_totals) move with its stock, as increments: concurrent
        # changes of one product add up instead of overwriting each other.
        changes: dict[str, int] = {}
        for key, level in self.levels.items():
            changes[key[0]] = changes.get(key[0], 0) + level.available - self.opening[key].available
        for sku, change in changes.items():
            if change and sku in self.products:
                self.tx.update(
                    self.store.col(self.org_id, "products").document(sku),
                    {"available_total": firestore.Increment(change), "shortfall": firestore.Increment(-change)},
                )

    @staticmethod
    def lock_keys(store: Store, org_id: str, keys: Iterable[tuple[str, str]]) -> list[str]:
        return [store.col(org_id, "stock").document(stock_id(*key)).path for key in keys]


class InventoryRepository:
    def __init__(self, store: Store, products: ProductRepository | None = None) -> None:
        self.store = store
        self.products = products or ProductRepository(store)

    # Warehouses -------------------------------------------------------------------------------------------
    def upsert_warehouse(self, org_id: str, warehouse: Warehouse) -> Warehouse:
        self.store.col(org_id, "warehouses").document(warehouse.code).set(warehouse.model_dump())
        return warehouse

    def warehouses(self, org_id: str) -> list[Warehouse]:
        return [
            Warehouse(**(s.to_dict() or {})) for s in self.store.col(org_id, "warehouses").order_by("code").stream()
        ]

    def warehouse(self, org_id: str, code: str) -> Warehouse:
        """By code ("CPT"), or by city or name ("Cape Town"), since people and models use both."""
        snap = self.store.col(org_id, "warehouses").document(code.strip().upper()).get()
        if snap.exists:
            return Warehouse(**(snap.to_dict() or {}))
        wanted = " ".join(code.lower().split())
        warehouses = self.warehouses(org_id)
        for warehouse in warehouses:
            if wanted in (warehouse.city.lower(), warehouse.name.lower()):
                return warehouse
        known = ", ".join(f"{w.code} ({w.city})" for w in warehouses) or "none"
        raise NotFound(f"there is no warehouse {code!r}; known warehouses: {known}")

    # Reading stock ----------------------------------------------------------------------------------------
    def level(self, org_id: str, sku: str, warehouse: str) -> StockLevel:
        sku, code = normalise_sku(sku), self.warehouse(org_id, warehouse).code
        self.products.get(org_id, sku)
        snap = self.store.col(org_id, "stock").document(stock_id(sku, code)).get()
        return StockLevel(**(snap.to_dict() or {})) if snap.exists else StockLevel(sku=sku, warehouse=code)

    def levels_for_sku(self, org_id: str, sku: str) -> list[StockLevel]:
        sku = normalise_sku(sku)
        self.products.get(org_id, sku)
        query = self.store.col(org_id, "stock").where(filter=FieldFilter("sku", "==", sku)).order_by("warehouse")
        found = {level.warehouse: level for level in (StockLevel(**(s.to_dict() or {})) for s in query.stream())}
        return [found.get(w.code, StockLevel(sku=sku, warehouse=w.code)) for w in self.warehouses(org_id)]

    def available_by_sku(self, org_id: str, skus: list[str]) -> dict[str, int]:
        """Available units over all warehouses of a few SKUs (at most 30: one Firestore `in` query)."""
        if not skus:
            return {}
        if len(skus) > 30:
            raise InvalidInput("at most 30 SKUs at a time")
        query = self.store.col(org_id, "stock").where(filter=FieldFilter("sku", "in", [normalise_sku(s) for s in skus]))
        totals = dict.fromkeys((normalise_sku(s) for s in skus), 0)
        for snapshot in query.stream():
            level = StockLevel(**(snapshot.to_dict() or {}))
            totals[level.sku] += level.available
        return totals

    def available_in(self, org_id: str, skus: list[str], warehouse: str) -> dict[str, int]:
        """Available units of a few SKUs (at most 30: one Firestore `in` query) in one warehouse (a code); a SKU
        without a stock level there is left out."""
        if not skus:
            return {}
        if len(skus) > 30:
            raise InvalidInput("at most 30 SKUs at a time")
        query = (
            self.store.col(org_id, "stock")
            .where(filter=FieldFilter("warehouse", "==", warehouse))
            .where(filter=FieldFilter("sku", "in", skus))
        )
        return {level.sku: level.available for level in (StockLevel(**(s.to_dict() or {})) for s in query.stream())}

    def all_levels(self, org_id: str) -> list[StockLevel]:
        return [StockLevel(**(s.to_dict() or {})) for s in self.store.col(org_id, "stock").stream()]

    def movements(self, org_id: str, sku: str, limit: int = 20) -> list[StockMovement]:
        query = (
            self.store.col(org_id, "stock_movements")
            .where(filter=FieldFilter("sku", "==", normalise_sku(sku)))
            .order_by("created_at", direction=firestore.Query.DESCENDING)
            .limit(limit)
        )
        return [StockMovement(**(s.to_dict() or {})) for s in query.stream()]

    def low_stock(self, org_id: str) -> list[tuple[Product, int]]:
        """Products whose available stock over all warehouses is below their reorder point, most urgent first."""
        query = self.store.col(org_id, "products").where(filter=FieldFilter("shortfall", ">", 0))
        rows = [(Product(**(snap.to_dict() or {})), snap.get("available_total")) for snap in query.stream()]
        return sorted(rows, key=lambda row: (row[1] - row[0].reorder_point, row[0].sku))

    def recount(self, org_id: str) -> int:
        """Rebuild every product's stock totals from the stock levels (for data written before the totals
        existed, or stock loaded from elsewhere); returns how many products changed."""
        available = available_by_product(self.all_levels(org_id))
        with BatchedWriter(self.store.client) as writer:
            for snap in self.store.col(org_id, "products").stream():
                totals = stock_totals(available.get(snap.id, 0), snap.get("reorder_point") or 0)
                if {k: (snap.to_dict() or {}).get(k) for k in totals} != totals:
                    writer.update(snap.reference, totals)
        return writer.count

    # Changing stock ---------------------------------------------------------------------------------------
    def adjust(
        self,
        org_id: str,
        sku: str,
        warehouse: str,
        delta: int,
        reason: str,
        *,
        actor: str = "",
        idempotency_key: str | None = None,
    ) -> StockLevel:
        """Add (delta > 0) or remove (delta < 0) units on hand, e.g. a count correction or damaged goods."""
        if delta == 0:
            raise InvalidInput("an adjustment needs a non-zero quantity")
        if not reason.strip():
            raise InvalidInput("say why stock is adjusted (e.g. 'damaged', 'count correction', 'found stock')")
        sku, code = normalise_sku(sku), self.warehouse(org_id, warehouse).code
        self.products.get(org_id, sku)
        guard = Idempotency(
            self.store,
            org_id,
            idempotency_key,
            {"op": "adjust", "sku": sku, "warehouse": code, "delta": delta},
        )

        def apply(tx: firestore.Transaction) -> dict[str, Any]:
            if (done := guard.lookup(tx)) is not None:
                return done
            book = StockBook(self.store, org_id, tx, [(sku, code)])
            level = book.change(sku, code, MovementKind.adjust, on_hand=delta, reason=reason, actor=actor)
            book.write()
            result = level.model_dump(mode="json")
            guard.remember(tx, result)
            return result

        return StockLevel(**self.store.runner.run(apply, lock=StockBook.lock_keys(self.store, org_id, [(sku, code)])))

    def transfer(
        self,
        org_id: str,
        sku: str,
        source: str,
        destination: str,
        quantity: int,
        *,
        actor: str = "",
        idempotency_key: str | None = None,
    ) -> TransferResult:
        if quantity <= 0:
            raise InvalidInput("a transfer needs a positive quantity")
        sku = normalise_sku(sku)
        src, dst = self.warehouse(org_id, source).code, self.warehouse(org_id, destination).code
        if src == dst:
            raise InvalidInput(f"source and destination are both {src}: choose two different warehouses")
        self.products.get(org_id, sku)
        guard = Idempotency(
            self.store,
            org_id,
            idempotency_key,
            {"op": "transfer", "sku": sku, "from": src, "to": dst, "qty": quantity},
        )
        reference = f"transfer-{uuid.uuid4().hex[:12]}"

        def apply(tx: firestore.Transaction) -> dict[str, Any]:
            if (done := guard.lookup(tx)) is not None:
                return done
            book = StockBook(self.store, org_id, tx, [(sku, src), (sku, dst)])
            out = book.change(
                sku,
                src,
                MovementKind.transfer_out,
                on_hand=-quantity,
                reference=reference,
                reason=f"transfer to {dst}",
                actor=actor,
            )
            into = book.change(
                sku,
                dst,
                MovementKind.transfer_in,
                on_hand=quantity,
                reference=reference,
                reason=f"transfer from {src}",
                actor=actor,
            )
            book.write()
            result = TransferResult(sku=sku, quantity=quantity, source=out, destination=into).model_dump(mode="json")
            guard.remember(tx, result)
            return result

        keys = StockBook.lock_keys(self.store, org_id, [(sku, src), (sku, dst)])
        return TransferResult(**self.store.runner.run(apply, lock=keys))
