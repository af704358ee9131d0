"""Orders from the sales channels, their status lifecycle and its effect on stock.

Placing reserves stock in the fulfilment warehouse, shipping consumes it, cancelling releases it and a return
puts it back on hand: each in the same transaction as the status change.
"""

from __future__ import annotations

import builtins
from collections import defaultdict
from datetime import datetime
from enum import StrEnum
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.aggregation import AggregationQuery
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import BaseModel, Field, computed_field, field_validator

from domain.catalog import ProductRepository, normalise_sku
from domain.errors import IllegalTransition, InvalidInput, NotFound
from domain.idempotency import Idempotency
from domain.inventory import InventoryRepository, MovementKind, StockBook
from domain.store import BatchedWriter, Store, utcnow

VAT_RATE_PERCENT = 15


class Channel(StrEnum):
    takealot = "takealot"
    amazon = "amazon"
    webshop = "webshop"


CHANNEL_NAMES = {
    Channel.takealot: "Takealot",
    Channel.amazon: "Amazon.co.za",
    Channel.webshop: "own web shop",
}


class OrderStatus(StrEnum):
    pending = "pending"
    confirmed = "confirmed"
    picking = "picking"
    shipped = "shipped"
    delivered = "delivered"
    cancelled = "cancelled"
    returned = "returned"


TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.pending: frozenset({OrderStatus.confirmed, OrderStatus.cancelled}),
    OrderStatus.confirmed: frozenset({OrderStatus.picking, OrderStatus.cancelled}),
    OrderStatus.picking: frozenset({OrderStatus.shipped, OrderStatus.cancelled}),
    OrderStatus.shipped: frozenset({OrderStatus.delivered}),
    OrderStatus.delivered: frozenset({OrderStatus.returned}),
    OrderStatus.cancelled: frozenset(),
    OrderStatus.returned: frozenset(),
}
OPEN_STATUSES = frozenset({OrderStatus.pending, OrderStatus.confirmed, OrderStatus.picking})


class Customer(BaseModel):
    name: str
    email: str = ""
    city: str = ""


class OrderLineInput(BaseModel):
    sku: str
    quantity: int = Field(gt=0, le=10_000)

    @field_validator("sku")
    @classmethod
    def _sku(cls, value: str) -> str:
        return normalise_sku(value)


class OrderLine(BaseModel):
    sku: str
    title: str
    quantity: int
    unit_price_cents: int

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents


class StatusChange(BaseModel):
    status: OrderStatus
    at: datetime
    actor: str = ""


class Order(BaseModel):
    number: int
    channel: Channel
    status: OrderStatus = OrderStatus.pending
    warehouse: str
    customer: Customer
    lines: list[OrderLine]
    subtotal_cents: int
    vat_cents: int
    total_cents: int
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    history: list[StatusChange] = Field(default_factory=list)

    # Stored with the order, so that sales sums are one Firestore aggregation (sales_summary). mypy cannot type a
    # decorator over @property; pydantic documents this ignore for computed fields.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


def order_totals(lines: list[OrderLine]) -> tuple[int, int, int]:
    subtotal = sum(line.total_cents for line in lines)
    vat = (subtotal * VAT_RATE_PERCENT + 50) // 100  # rounded half up, to the cent
    return subtotal, vat, subtotal + vat


class ChannelSales(BaseModel):
    channel: Channel
    orders: int
    units: int
    revenue_cents: int


class OrderRepository:
    def __init__(self, store: Store, inventory: InventoryRepository | None = None) -> None:
        self.store = store
        self.inventory = inventory or InventoryRepository(store)
        self.products: ProductRepository = self.inventory.products

    def _col(self, org_id: str) -> firestore.CollectionReference:
        return self.store.col(org_id, "orders")

    def _counter(self, org_id: str) -> firestore.DocumentReference:
        return self.store.col(org_id, "counters").document("orders")

    # Placing ----------------------------------------------------------------------------------------------
    def place(
        self,
        org_id: str,
        channel: Channel | str,
        customer: Customer,
        lines: list[OrderLineInput],
        warehouse: str,
        *,
        actor: str = "",
        idempotency_key: str | None = None,
    ) -> Order:
        if not lines:
            raise InvalidInput("an order needs at least one line")
        try:
            channel = Channel(channel)
        except ValueError as exc:
            raise InvalidInput(f"unknown channel {channel!r}; use one of: takealot, amazon, webshop") from exc
        code = self.inventory.warehouse(org_id, warehouse).code
        quantities: dict[str, int] = defaultdict(int)
        for line in lines:
            quantities[line.sku] += line.quantity
        products = self.products.get_many(org_id, list(quantities))
        if missing := sorted(set(quantities) - set(products)):
            raise NotFound(f"unknown SKU(s): {', '.join(missing)}")
        order_lines = [
            OrderLine(sku=sku, title=products[sku].title, quantity=qty, unit_price_cents=products[sku].price_cents)
            for sku, qty in quantities.items()
        ]
        subtotal, vat, total = order_totals(order_lines)
        keys = [(sku, code) for sku in quantities]
        guard = Idempotency(
            self.store,
            org_id,
            idempotency_key,
            {"op": "place", "channel": channel, "warehouse": code, "lines": sorted(quantities.items())},
        )

        def apply(tx: firestore.Transaction) -> dict[str, Any]:
            if (done := guard.lookup(tx)) is not None:
                return done
            counter = self._counter(org_id).get(transaction=tx)
            book = StockBook(self.store, org_id, tx, keys)
            number = (counter.get("last") if counter.exists else 1000) + 1
            for sku, qty in quantities.items():
                book.change(sku, code, MovementKind.reserve, reserved=qty, reference=f"order-{number}", actor=actor)
            now = utcnow()
            order = Order(
                number=number,
                channel=channel,
                warehouse=code,
                customer=customer,
                lines=order_lines,
                subtotal_cents=subtotal,
                vat_cents=vat,
                total_cents=total,
                created_at=now,
                updated_at=now,
                history=[StatusChange(status=OrderStatus.pending, at=now, actor=actor)],
            )
            book.write()
            tx.set(self._counter(org_id), {"last": number})
            tx.set(self._col(org_id).document(str(number)), order.model_dump())
            result = order.model_dump(mode="json")
            guard.remember(tx, result)
            return result

        lock = [self._counter(org_id).path, *StockBook.lock_keys(self.store, org_id, keys)]
        return Order(**self.store.runner.run(apply, lock=lock))

    # Reading ----------------------------------------------------------------------------------------------
    def get(self, org_id: str, number: int | str) -> Order:
        try:
            number = int(str(number).lstrip("#"))
        except ValueError as exc:
            raise InvalidInput(f"{number!r} is not an order number; order numbers are whole numbers like 1042") from exc
        snap = self._col(org_id).document(str(number)).get()
        if not snap.exists:
            raise NotFound(f"there is no order {number}")
        return Order(**(snap.to_dict() or {}))

    def list(
        self,
        org_id: str,
        *,
        status: OrderStatus | str | None = None,
        channel: Channel | str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
    ) -> list[Order]:
        query: firestore.CollectionReference | firestore.Query = self._col(org_id)
        if status:
            query = query.where(filter=FieldFilter("status", "==", OrderStatus(status).value))
        if channel:
            query = query.where(filter=FieldFilter("channel", "==", Channel(channel).value))
        if since:
            query = query.where(filter=FieldFilter("created_at", ">=", since))
        if until:
            query = query.where(filter=FieldFilter("created_at", "<", until))
        query = query.order_by("created_at", direction=firestore.Query.DESCENDING).limit(limit)
        return [Order(**(snap.to_dict() or {})) for snap in query.stream()]

    def sales_summary(self, org_id: str, since: datetime, until: datetime | None = None) -> builtins.list[ChannelSales]:
        """Orders and revenue (incl. VAT) per channel, counting every order not cancelled or returned."""
        until = until or utcnow()
        if since >= until:
            raise InvalidInput("the start of the period must be before its end")
        counted = [s.value for s in OrderStatus if s not in (OrderStatus.cancelled, OrderStatus.returned)]
        rows = []
        for channel in Channel:
            # Summed by Firestore (count and two sums in one aggregation query per channel): no order is read.
            query = (
                self._col(org_id)
                .where(filter=FieldFilter("channel", "==", channel.value))
                .where(filter=FieldFilter("status", "in", counted))
                .where(filter=FieldFilter("created_at", ">=", since))
                .where(filter=FieldFilter("created_at", "<", until))
                .order_by("created_at", direction=firestore.Query.DESCENDING)  # served by the list() index
            )
            # Built directly rather than by query.count(), whose annotation claims it returns a class.
            aggregation = (
                AggregationQuery(query)
                .count(alias="orders")
                .sum("units", alias="units")
                .sum("total_cents", alias="revenue")
            )
            values = {result.alias: int(result.value or 0) for result in aggregation.get()[0]}
            rows.append(
                ChannelSales(
                    channel=channel, orders=values["orders"], units=values["units"], revenue_cents=values["revenue"]
                )
            )
        return rows

    def recount_units(self, org_id: str) -> int:
        """Store `units` on orders written before it existed (sales_summary sums it); returns how many changed."""
        with BatchedWriter(self.store.client) as writer:
            for snap in self._col(org_id).select(["lines", "units"]).stream():
                units = sum(line["quantity"] for line in snap.get("lines"))
                if (snap.to_dict() or {}).get("units") != units:
                    writer.update(snap.reference, {"units": units})
        return writer.count

    # Changing status --------------------------------------------------------------------------------------
    def transition(self, org_id: str, number: int | str, new_status: OrderStatus | str, *, actor: str = "") -> Order:
        try:
            target = OrderStatus(new_status)
        except ValueError as exc:
            names = ", ".join(s.value for s in OrderStatus)
            raise InvalidInput(f"unknown order status {new_status!r}; use one of: {names}") from exc
        current = self.get(org_id, number)
        keys = [(line.sku, current.warehouse) for line in current.lines]
        ref = self._col(org_id).document(str(current.number))

        def apply(tx: firestore.Transaction) -> dict[str, Any]:
            order = Order(**(ref.get(transaction=tx).to_dict() or {}))
            book = StockBook(self.store, org_id, tx, keys)
            if target == order.status:
                return order.model_dump(mode="json")  # repeating a change is harmless
            if target not in TRANSITIONS[order.status]:
                allowed = ", ".join(sorted(s.value for s in TRANSITIONS[order.status])) or "none (it is final)"
                raise IllegalTransition(
                    f"order {order.number} is {order.status.value} and cannot become {target.value}; "
                    f"allowed next: {allowed}",
                    current=order.status.value,
                    requested=target.value,
                )
            reference = f"order-{order.number}"
            for line in order.lines:
                if target == OrderStatus.shipped:
                    book.change(
                        line.sku,
                        order.warehouse,
                        MovementKind.ship,
                        on_hand=-line.quantity,
                        reserved=-line.quantity,
                        reference=reference,
                        actor=actor,
                    )
                elif target == OrderStatus.cancelled:
                    book.change(
                        line.sku,
                        order.warehouse,
                        MovementKind.release,
                        reserved=-line.quantity,
                        reference=reference,
                        actor=actor,
                    )
                elif target == OrderStatus.returned:
                    book.change(
                        line.sku,
                        order.warehouse,
                        MovementKind.restock,
                        on_hand=line.quantity,
                        reference=reference,
                        reason="customer return",
                        actor=actor,
                    )
            now = utcnow()
            order.status, order.updated_at = target, now
            order.history.append(StatusChange(status=target, at=now, actor=actor))
            book.write()
            tx.set(ref, order.model_dump())
            return order.model_dump(mode="json")

        lock = [ref.path, *StockBook.lock_keys(self.store, org_id, keys)]
        return Order(**self.store.runner.run(apply, lock=lock))

    def cancel(self, org_id: str, number: int | str, *, actor: str = "") -> Order:
        return self.transition(org_id, number, OrderStatus.cancelled, actor=actor)
