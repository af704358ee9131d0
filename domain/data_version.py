"""A cheap fingerprint of an organisation's stock, orders, shipments and catalogue: what a cache of figures
computed from them (assistant.planning) reads to know whether they changed, instead of reading them all again.

Every stock change writes a stock movement (placing, shipping, cancelling or returning an order too), every order
change its `updated_at`, every shipment and product write its `updated_at`; the newest of each, plus the number of
products (a deleted product leaves no newer record), change whenever the data does. Five small reads: four
single-document queries served by Firestore's automatic single-field indexes, and one count aggregation, all
sent at once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.aggregation import AggregationQuery

from domain.store import Store

Version = tuple[Any, ...]
NEWEST: tuple[tuple[str, str], ...] = (
    ("stock_movements", "created_at"),
    ("orders", "updated_at"),
    ("shipments", "updated_at"),
    ("products", "updated_at"),
)


class DataVersions:
    def __init__(self, store: Store) -> None:
        self.store = store
        # The five reads are independent: sent at once, they take as long as the slowest, not the sum.
        self._pool = ThreadPoolExecutor(max_workers=len(NEWEST) + 1, thread_name_prefix="data-version")

    def _newest(self, org_id: str, collection: str, field: str) -> tuple[str, Any] | None:
        query = (
            self.store.col(org_id, collection)
            .order_by(field, direction=firestore.Query.DESCENDING)
            .limit(1)
            .select([field])
        )
        newest = [(snap.id, snap.get(field)) for snap in query.get()]
        return newest[0] if newest else None

    def _products(self, org_id: str) -> int:
        # A Query, as AggregationQuery needs (a collection reference is none).
        counted = AggregationQuery(self.store.col(org_id, "products").select([])).count(alias="n").get()
        return int(counted[0][0].value)

    def of(self, org_id: str) -> Version:
        newest = [self._pool.submit(self._newest, org_id, collection, field) for collection, field in NEWEST]
        count = self._pool.submit(self._products, org_id)
        return (*(f.result() for f in newest), count.result())
