"""The planning service: reorder, rebalancing and stockout plans of one organisation, from its repositories.

Reading an organisation's orders, stock, catalogue and shipments and forecasting every SKU and warehouse is the
expensive part (a few hundred milliseconds on the emulator for the demo's 200 SKUs); it is kept per organisation
and reused until the data changes: each call first reads a fingerprint of the data (`domain.data_version`, five
small reads) and the SAST date, and computes again only when either moved. The plans themselves are cheap
functions of what is kept (`assistant.planning.plans`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from assistant.planning.history import WINDOW_DAYS, sast_day, window_start
from assistant.planning.inputs import PlanInputs, build_inputs
from assistant.planning.plans import (
    DEFAULT_WEEKS,
    RebalancePlan,
    ReorderPlan,
    StockoutRow,
    rebalance_plan,
    reorder_plan,
    stockout_rows,
)
from assistant.settings import Settings
from domain.catalog import normalise_sku
from domain.data_version import DataVersions
from domain.errors import InvalidInput, NotFound
from domain.inventory import Warehouse
from domain.ports import Orders, Products, Shipments, Stock
from domain.store import Store, utcnow

MAX_ORDERS = 200_000  # orders of 90 days read in one query; an organisation with more would need paging
MAX_WEEKS = 26


class PlanningServices(Protocol):
    """What the planning service reads (app.wiring.Services is one)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store: ...

    @property
    def products(self) -> Products: ...

    @property
    def inventory(self) -> Stock: ...

    @property
    def orders(self) -> Orders: ...

    @property
    def shipments(self) -> Shipments: ...


@dataclass(frozen=True)
class _Kept:
    version: Hashable
    inputs: PlanInputs
    computed_at: datetime  # when the data was read: what every plan from these inputs reports


class PlanningService:
    def __init__(
        self,
        services: PlanningServices,
        *,
        version: Callable[[str], Hashable] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.services = services
        self.service_level = services.settings.service_level
        self._version = version or DataVersions(services.store).of
        self._clock = clock
        self._kept: dict[str, _Kept] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.computations = 0  # how often the inputs were computed (tests and the benchmark read it)
        self._pool = ThreadPoolExecutor(max_workers=5, thread_name_prefix="planning")

    # The data --------------------------------------------------------------------------------------------
    def _lock(self, org_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(org_id, threading.Lock())

    def inputs(self, org_id: str) -> PlanInputs:
        """The organisation's planning data, computed again only when its data or the day changed."""
        return self._current(org_id).inputs

    def _current(self, org_id: str) -> _Kept:
        now = self._clock()
        today = sast_day(now)
        version = (today, self._version(org_id))
        kept = self._kept.get(org_id)
        if kept is not None and kept.version == version:
            return kept
        with self._lock(org_id):  # one computation per organisation at a time; the others wait for it
            kept = self._kept.get(org_id)
            if kept is not None and kept.version == version:
                return kept
            kept = _Kept(version, self._compute(org_id, today, now), now)
            self._kept[org_id] = kept
            self.computations += 1
            return kept

    def _compute(self, org_id: str, today: date, now: datetime) -> PlanInputs:
        s = self.services
        # A day's margin before the window: SAST days start two hours before UTC ones.
        since = datetime.combine(window_start(today, WINDOW_DAYS) - timedelta(days=1), datetime.min.time(), now.tzinfo)
        # Five independent reads, sent at once: the slowest (the orders) sets the time, not their sum.
        warehouses = self._pool.submit(s.inventory.warehouses, org_id)
        products = self._pool.submit(s.products.list, org_id)
        levels = self._pool.submit(s.inventory.all_levels, org_id)
        orders = self._pool.submit(lambda: s.orders.list(org_id, since=since, limit=MAX_ORDERS))
        shipments = self._pool.submit(s.shipments.list, org_id)
        return build_inputs(
            today, warehouses.result(), products.result(), levels.result(), orders.result(), shipments.result()
        )

    # Arguments -------------------------------------------------------------------------------------------
    @staticmethod
    def _warehouse(inputs: PlanInputs, name: str | None) -> str | None:
        """A warehouse by code ("CPT"), city or name ("Cape Town"), like the inventory repository's."""
        if name is None or not name.strip():
            return None
        wanted = " ".join(name.lower().split())
        for w in inputs.warehouses:
            if wanted in (w.code.lower(), w.city.lower(), w.name.lower()):
                return w.code
        known = ", ".join(f"{w.code} ({w.city})" for w in inputs.warehouses) or "none"
        raise NotFound(f"there is no warehouse {name!r}; known warehouses: {known}")

    @staticmethod
    def _sku(inputs: PlanInputs, sku: str) -> str:
        code = normalise_sku(sku)
        if code not in inputs.items:
            raise NotFound(f"there is no product with SKU {code!r}")
        return code

    # The plans -------------------------------------------------------------------------------------------
    def reorder_plan(
        self, org_id: str, weeks: int = DEFAULT_WEEKS, warehouse: str | None = None, skus: list[str] | None = None
    ) -> ReorderPlan:
        if not 1 <= weeks <= MAX_WEEKS:
            raise InvalidInput(f"plan for 1 to {MAX_WEEKS} weeks, not {weeks}")
        kept = self._current(org_id)
        inputs = kept.inputs
        named = None if skus is None else [self._sku(inputs, sku) for sku in skus]
        return reorder_plan(
            inputs,
            kept.computed_at,
            weeks=weeks,
            service_level=self.service_level,
            warehouse=self._warehouse(inputs, warehouse),
            skus=named,
        )

    def rebalance_plan(self, org_id: str, sku: str | None = None) -> RebalancePlan:
        kept = self._current(org_id)
        code = None if sku is None else self._sku(kept.inputs, sku)
        return rebalance_plan(kept.inputs, kept.computed_at, service_level=self.service_level, sku=code)

    def stockout_forecast(self, org_id: str, sku: str, warehouse: str | None = None) -> list[StockoutRow]:
        inputs = self.inputs(org_id)
        return stockout_rows(inputs, self._sku(inputs, sku), self._warehouse(inputs, warehouse))

    def warehouses(self, org_id: str) -> list[Warehouse]:
        return list(self.inputs(org_id).warehouses)
