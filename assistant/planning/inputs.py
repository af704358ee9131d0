"""One organisation's data gathered for planning: the forecasts, lead times, stock and inbound units per SKU and
warehouse, computed once from the repositories' records and reused by every plan until the data changes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from assistant.planning.forecast import Forecast, forecast_series
from assistant.planning.history import Key, daily_units
from assistant.planning.lead_times import LeadTime, LeadTimes, inbound_units
from domain.catalog import Product
from domain.inventory import StockLevel, Warehouse
from domain.orders import Order
from domain.trade import Shipment


@dataclass(frozen=True)
class Item:
    sku: str
    title: str
    supplier: str
    origin_country: str
    reorder_point: int


@dataclass(frozen=True)
class PlanInputs:
    today: date
    warehouses: tuple[Warehouse, ...]
    items: dict[str, Item]
    available: dict[Key, int]
    forecasts: dict[Key, Forecast]
    lead_times: dict[str, LeadTime]
    inbound: dict[Key, int]
    history_days: int
    measured: tuple[LeadTime, ...] = field(default=())

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(w.code for w in self.warehouses)


def build_inputs(
    today: date,
    warehouses: Sequence[Warehouse],
    products: Iterable[Product],
    levels: Iterable[StockLevel],
    orders: Iterable[Order],
    shipments: Iterable[Shipment],
) -> PlanInputs:
    items = {
        p.sku: Item(
            sku=p.sku,
            title=p.title,
            supplier=p.supplier,
            origin_country=p.origin_country,
            reorder_point=p.reorder_point,
        )
        for p in products
    }
    codes = [w.code for w in warehouses]
    available = {(level.sku, level.warehouse): level.available for level in levels if level.sku in items}
    series, history_days = daily_units(orders, today)
    forecasts: dict[Key, Forecast] = {}
    for (sku, code), units in series.items():
        if sku in items and code in codes and (forecast := forecast_series(units, sku=sku, warehouse=code)):
            forecasts[(sku, code)] = forecast
    shipment_list = list(shipments)
    book = LeadTimes(shipment_list)
    lead = {sku: book.for_sku(sku, item.supplier, item.origin_country) for sku, item in items.items()}
    return PlanInputs(
        today=today,
        warehouses=tuple(sorted(warehouses, key=lambda w: w.code)),
        items=items,
        available=available,
        forecasts=forecasts,
        lead_times=lead,
        inbound=inbound_units(shipment_list),
        history_days=history_days,
        measured=tuple(book.measured.values()),
    )
