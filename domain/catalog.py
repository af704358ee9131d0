"""Products: the catalogue of one organisation, keyed by SKU."""

from __future__ import annotations

import builtins
import re
import threading
import time
from collections.abc import Sequence
from datetime import datetime

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import BaseModel, Field, field_validator

from domain.errors import Conflict, InvalidInput, NotFound
from domain.resolver import Catalogue, Resolution
from domain.store import Store, utcnow

SKU = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,39}$")  # what the catalogue accepts as a SKU
# This catalogue's own style, as merchants type it: two letters, a family word and a number ("BV-TENT-0001"), in any
# case and sometimes without the leading zeros ("bv-tent-1"). The one pattern for "our SKU" in a request.
OUR_SKU = re.compile(r"\b[A-Z]{2}-[A-Z]+-\d{1,4}\b", re.IGNORECASE)
# A product code in any catalogue's style, as merchants type one: "sku-123" in any case, or capitals with
# dash-joined parts ending in digits ("ABC-55", "BV-TENT-0001"); capitals so "top-10" or "order-1042" are not
# codes; never a sun-protection factor, a size or an import shipment ("SPF-50", "UK-9", "SHP-BV-2601").
SKU_LIKE = re.compile(
    r"(?<![\w-])(?:(?i:sku)(?:-[A-Za-z0-9]{1,8})*-\d{1,8}|(?!(?:SPF|UK|SIZE|SZ|SHP)-)[A-Z]{2,5}(?:-[A-Z0-9]{1,8})*-\d{1,8})\b"
)


def normalise_sku(sku: str) -> str:
    value = sku.strip().upper()
    if not SKU.match(value):
        raise InvalidInput(f"SKU {sku!r} is not valid: use 3-40 letters, digits and dashes, e.g. BV-TENT-0001")
    return value


class Product(BaseModel):
    sku: str
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    category: str
    price_cents: int = Field(ge=0, description="Selling price excluding VAT, in ZAR cents")
    barcode: str = ""
    hs_code: str = ""
    supplier: str = ""
    origin_country: str = ""
    reorder_point: int = Field(default=0, ge=0)
    updated_at: datetime = Field(default_factory=utcnow)

    @field_validator("sku")
    @classmethod
    def _sku(cls, value: str) -> str:
        return normalise_sku(value)

    @property
    def price_zar(self) -> float:
        return self.price_cents / 100


def stock_totals(available: int, reorder_point: int) -> dict[str, int]:
    """The stock fields a product document carries besides the catalogue data.

    `available_total` is the product's available stock over all warehouses and `shortfall` how far that is below
    the reorder point (negative when above), both kept by every stock transaction (domain.inventory.StockBook),
    so that "what is running low?" is one indexed query (`shortfall > 0`) instead of a scan of all stock levels.
    """
    return {"available_total": available, "shortfall": reorder_point - available}


class ReorderPointChange(BaseModel):
    """One line of a batch of reorder points: the new value, and the value the proposal saw (`expected`), so a
    change made by someone else between the proposal and its confirmation is caught instead of overwritten."""

    sku: str
    reorder_point: int
    expected: int | None = None  # None: whatever it is now (a caller that saw no value)


# A batch is one transaction: Firestore allows 500 writes in one, and a card listing more lines is not read anyway.
MAX_REORDER_BATCH = 200


class ProductRepository:
    # How long a catalogue read for name matching is reused. Changes made through this repository drop it at once;
    # products written by another instance show up for name matching after at most this long.
    CATALOGUE_TTL_SECONDS = 60.0

    def __init__(self, store: Store) -> None:
        self.store = store
        self._catalogues: dict[str, tuple[float, Catalogue]] = {}
        self._catalogue_lock = threading.Lock()

    def catalogue(self, org_id: str) -> Catalogue:
        """The organisation's products, ready to resolve names against (see domain.resolver)."""
        with self._catalogue_lock:
            cached = self._catalogues.get(org_id)
        if cached and time.monotonic() - cached[0] < self.CATALOGUE_TTL_SECONDS:
            return cached[1]
        catalogue = Catalogue(self.names(org_id))
        with self._catalogue_lock:
            self._catalogues[org_id] = (time.monotonic(), catalogue)
        return catalogue

    def resolve(self, org_id: str, text: str) -> Resolution:
        """A product name with attributes -> one match, several close candidates, or none."""
        return self.catalogue(org_id).resolve(text)

    def _changed(self, org_id: str) -> None:
        with self._catalogue_lock:
            self._catalogues.pop(org_id, None)

    def _col(self, org_id: str) -> firestore.CollectionReference:
        return self.store.col(org_id, "products")

    def _available(self, org_id: str, sku: str, tx: firestore.Transaction) -> int:
        """Counted from the stock levels themselves: exact, and it repairs a total that has drifted."""
        query = self.store.col(org_id, "stock").where(filter=FieldFilter("sku", "==", sku))
        return sum(s.get("on_hand") - s.get("reserved") for s in tx.get(query))

    def upsert(self, org_id: str, product: Product) -> Product:
        product = product.model_copy(update={"updated_at": utcnow()})
        ref = self._col(org_id).document(product.sku)

        def apply(tx: firestore.Transaction) -> None:
            available = self._available(org_id, product.sku, tx)
            tx.set(ref, product.model_dump() | stock_totals(available, product.reorder_point))

        self.store.runner.run(apply, lock=[ref.path])
        self._changed(org_id)
        return product

    def get(self, org_id: str, sku: str) -> Product:
        snap = self._col(org_id).document(normalise_sku(sku)).get()
        if not snap.exists:
            raise NotFound(f"there is no product with SKU {sku.upper()!r}")
        return Product(**(snap.to_dict() or {}))

    def get_many(self, org_id: str, skus: list[str]) -> dict[str, Product]:
        refs = [self._col(org_id).document(normalise_sku(sku)) for sku in skus]
        return {snap.id: Product(**(snap.to_dict() or {})) for snap in self.store.client.get_all(refs) if snap.exists}

    def list(self, org_id: str, category: str | None = None, limit: int | None = None) -> list[Product]:
        query: firestore.CollectionReference | firestore.Query = self._col(org_id)
        if category:
            query = query.where(filter=FieldFilter("category", "==", category))
        query = query.order_by("sku")
        if limit:
            query = query.limit(limit)
        return [Product(**(snap.to_dict() or {})) for snap in query.stream()]

    def names(self, org_id: str, category: str | None = None) -> builtins.list[tuple[str, str, str]]:
        """(sku, title, category) of every product, read as a projection: matching by name needs no more."""
        query: firestore.CollectionReference | firestore.Query = self._col(org_id)
        if category:
            query = query.where(filter=FieldFilter("category", "==", category))
        return [
            (s.get("sku"), s.get("title"), s.get("category"))
            for s in query.select(["sku", "title", "category"]).stream()
        ]

    def set_reorder_point(self, org_id: str, sku: str, reorder_point: int) -> Product:
        if reorder_point < 0:
            raise InvalidInput("a reorder point cannot be negative")
        product = self.get(org_id, sku)
        ref = self._col(org_id).document(product.sku)

        def apply(tx: firestore.Transaction) -> None:
            available = self._available(org_id, product.sku, tx)
            tx.update(
                ref, {"reorder_point": reorder_point, "updated_at": utcnow(), **stock_totals(available, reorder_point)}
            )

        self.store.runner.run(apply, lock=[ref.path])
        return product.model_copy(update={"reorder_point": reorder_point})

    def set_reorder_points(self, org_id: str, changes: Sequence[ReorderPointChange]) -> builtins.list[Product]:
        """Set several reorder points in ONE transaction, all or nothing. Every line is checked inside it against
        the data as it is now: the product must still exist, the value must be a whole number >= 0, and the
        current reorder point must still be the one the proposal saw; the first line that fails raises (naming
        it, with its number in the batch) and nothing is written."""
        if not changes:
            raise InvalidInput("there are no reorder points to set")
        if len(changes) > MAX_REORDER_BATCH:
            raise InvalidInput(f"set at most {MAX_REORDER_BATCH} reorder points at once, not {len(changes)}")
        skus = [normalise_sku(change.sku) for change in changes]
        seen: set[str] = set()
        for number, (sku, change) in enumerate(zip(skus, changes, strict=True), 1):
            if sku in seen:
                raise InvalidInput(f"line {number} ({sku}) names a product already in the batch")
            seen.add(sku)
            if change.reorder_point < 0:
                raise InvalidInput(f"line {number} ({sku}): a reorder point cannot be negative")
        refs = [self._col(org_id).document(sku) for sku in skus]

        def apply(tx: firestore.Transaction) -> builtins.list[Product]:
            snaps = {snap.id: snap for snap in tx.get_all(refs)}  # reads first: a transaction writes after them
            available = self._available_many(org_id, skus, tx)
            products = []
            for number, (sku, change) in enumerate(zip(skus, changes, strict=True), 1):
                snap = snaps.get(sku)
                if snap is None or not snap.exists:
                    raise NotFound(f"line {number} ({sku}): there is no such product any more; nothing was changed")
                product = Product(**(snap.to_dict() or {}))
                if change.expected is not None and product.reorder_point != change.expected:
                    raise Conflict(
                        f"line {number} ({sku}): its reorder point was changed to {product.reorder_point} since "
                        f"this was proposed (it was {change.expected}); nothing was changed"
                    )
                products.append(product.model_copy(update={"reorder_point": change.reorder_point}))
            now = utcnow()
            for ref, product in zip(refs, products, strict=True):
                totals = stock_totals(available.get(product.sku, 0), product.reorder_point)
                tx.update(ref, {"reorder_point": product.reorder_point, "updated_at": now, **totals})
            return products

        return self.store.runner.run(apply, lock=[ref.path for ref in refs])

    def _available_many(self, org_id: str, skus: builtins.list[str], tx: firestore.Transaction) -> dict[str, int]:
        """`_available` of several products, 30 SKUs per query (Firestore's limit for an `in` filter)."""
        totals: dict[str, int] = {}
        for start in range(0, len(skus), 30):
            query = self.store.col(org_id, "stock").where(filter=FieldFilter("sku", "in", skus[start : start + 30]))
            for snap in tx.get(query):
                totals[snap.get("sku")] = totals.get(snap.get("sku"), 0) + snap.get("on_hand") - snap.get("reserved")
        return totals

    def delete(self, org_id: str, sku: str) -> None:
        self._col(org_id).document(normalise_sku(sku)).delete()
        self._changed(org_id)
