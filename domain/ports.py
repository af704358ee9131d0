"""The repositories as their callers use them: one narrow Protocol per repository, the methods the tools, the
application layer, the UI and ingestion call. The Firestore classes of this package satisfy them (mypy checks it
where `app.wiring.Services` is passed down); a caller typed against them never depends on Firestore.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from domain.audit import AuditAction, AuditEntry, AuditPage
from domain.catalog import Product, ReorderPointChange
from domain.credits import Account, EntryKind, LedgerEntry, Recorder, Reservation
from domain.inventory import StockLevel, TransferResult, Warehouse
from domain.orders import Channel, ChannelSales, Order, OrderStatus
from domain.orgs import Organisation, Principal
from domain.purchases import AutoTopUp, BillingProfile, Invoice, Party, Purchase, PurchaseStatus
from domain.resolver import Catalogue, Resolution
from domain.trade import Shipment, ShipmentStatus


class OrgDirectory(Protocol):
    def get(self, org_id: str) -> Organisation: ...

    def create(self, org_id: str, name: str) -> Organisation: ...


class ApiKeys(Protocol):
    def authenticate(self, key: str, cache_seconds: float = ..., cached_only: bool = ...) -> Principal | None: ...

    def by_id(self, key_id: str, cache_seconds: float = ..., cached_only: bool = ...) -> Principal | None: ...

    def list(self, org_id: str) -> builtins.list[dict[str, Any]]: ...


class Products(Protocol):
    def catalogue(self, org_id: str) -> Catalogue: ...

    def get(self, org_id: str, sku: str) -> Product: ...

    def get_many(self, org_id: str, skus: builtins.list[str]) -> dict[str, Product]: ...

    def list(self, org_id: str, category: str | None = ..., limit: int | None = ...) -> builtins.list[Product]: ...

    def names(self, org_id: str, category: str | None = ...) -> builtins.list[tuple[str, str, str]]: ...

    def resolve(self, org_id: str, text: str) -> Resolution: ...

    def set_reorder_point(self, org_id: str, sku: str, reorder_point: int) -> Product: ...

    def set_reorder_points(self, org_id: str, changes: Sequence[ReorderPointChange]) -> builtins.list[Product]: ...


class Stock(Protocol):
    def level(self, org_id: str, sku: str, warehouse: str) -> StockLevel: ...

    def levels_for_sku(self, org_id: str, sku: str) -> list[StockLevel]: ...

    def all_levels(self, org_id: str) -> list[StockLevel]: ...

    def available_by_sku(self, org_id: str, skus: list[str]) -> dict[str, int]: ...

    def available_in(self, org_id: str, skus: list[str], warehouse: str) -> dict[str, int]: ...

    def low_stock(self, org_id: str) -> list[tuple[Product, int]]: ...

    def warehouse(self, org_id: str, code: str) -> Warehouse: ...

    def warehouses(self, org_id: str) -> list[Warehouse]: ...

    def adjust(
        self,
        org_id: str,
        sku: str,
        warehouse: str,
        delta: int,
        reason: str,
        *,
        actor: str = ...,
        idempotency_key: str | None = ...,
    ) -> StockLevel: ...

    def transfer(
        self,
        org_id: str,
        sku: str,
        source: str,
        destination: str,
        quantity: int,
        *,
        actor: str = ...,
        idempotency_key: str | None = ...,
    ) -> TransferResult: ...

    def recount(self, org_id: str) -> int: ...


class Orders(Protocol):
    def get(self, org_id: str, number: int | str) -> Order: ...

    def list(
        self,
        org_id: str,
        *,
        status: OrderStatus | str | None = ...,
        channel: Channel | str | None = ...,
        since: datetime | None = ...,
        until: datetime | None = ...,
        limit: int = ...,
    ) -> builtins.list[Order]: ...

    def sales_summary(
        self, org_id: str, since: datetime, until: datetime | None = ...
    ) -> builtins.list[ChannelSales]: ...

    def transition(
        self, org_id: str, number: int | str, new_status: OrderStatus | str, *, actor: str = ...
    ) -> Order: ...

    def cancel(self, org_id: str, number: int | str, *, actor: str = ...) -> Order: ...

    def recount_units(self, org_id: str) -> int: ...


class Shipments(Protocol):
    def list(self, org_id: str, status: ShipmentStatus | str | None = ...) -> list[Shipment]: ...


class Credits(Protocol):
    def account(self, org_id: str) -> Account: ...

    def ledger(
        self,
        org_id: str,
        limit: int = ...,
        kind: EntryKind | None = ...,
        since: datetime | None = ...,
        until: datetime | None = ...,
    ) -> list[LedgerEntry]: ...

    def open_account(self, org_id: str, daily_quota_mc: int = ...) -> None: ...

    def set_daily_quota(self, org_id: str, daily_quota_mc: int) -> None: ...

    def grant(
        self, org_id: str, amount_mc: int, idempotency_key: str, note: str = ..., details: dict[str, Any] | None = ...
    ) -> LedgerEntry: ...

    def reserve(self, org_id: str, request_id: str, amount_mc: int, now: datetime | None = ...) -> Reservation: ...

    def settle(
        self,
        org_id: str,
        request_id: str,
        actual_mc: int,
        details: dict[str, Any] | None = ...,
        record: Recorder | None = ...,
    ) -> Reservation: ...

    def refund(self, org_id: str, request_id: str, reason: str = ...) -> Reservation: ...

    def daily_usage(self, org_id: str, days: int = ...) -> dict[str, int]: ...


class Purchases(Protocol):
    def create(self, purchase: Purchase) -> Purchase: ...

    def org_of(self, m_payment_id: str) -> str | None: ...

    def get(self, org_id: str, purchase_id: str) -> Purchase: ...

    def list(self, org_id: str, limit: int = ...) -> builtins.list[Purchase]: ...

    def complete(
        self, org_id: str, purchase_id: str, pf_payment_id: str, supplier: Party, recipient_name: str, token: str = ...
    ) -> tuple[Purchase, bool]: ...

    def close(
        self, org_id: str, purchase_id: str, status: PurchaseStatus, reason: str, pf_payment_id: str = ...
    ) -> Purchase: ...

    def invoices(self, org_id: str, limit: int = ...) -> builtins.list[Invoice]: ...

    def invoice(self, org_id: str, number: str) -> Invoice: ...

    def profile(self, org_id: str) -> BillingProfile: ...

    def set_profile(self, org_id: str, vat_number: str, auto_topup: AutoTopUp | None) -> BillingProfile: ...

    def claim_auto_topup(self, org_id: str, month: str, max_per_month: int, purchase: Purchase) -> Purchase | None: ...

    def rearm(self, org_id: str) -> None: ...


class AuditLog(Protocol):
    """Append-only: records are added and read, never changed or deleted (`domain.audit`)."""

    def append(self, org_id: str, entry: AuditEntry) -> AuditEntry: ...

    def list(
        self, org_id: str, action: AuditAction | str | None = ..., limit: int = ..., before: str | None = ...
    ) -> AuditPage: ...
