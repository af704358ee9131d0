"""The plans a merchant scans: what to reorder and how much, which transfers even out stock between warehouses,
and when a SKU runs out. Pure functions of `PlanInputs`.

Per SKU and warehouse, with d the forecast units a day, sigma_d their standard deviation, L the lead time in
days and sigma_L its standard deviation, and z the service level's quantile of the normal distribution:

- days of cover = available / d; stockout date = today + whole days of cover;
- safety stock SS = z * sqrt(L * sigma_d^2 + d^2 * sigma_L^2) (demand and lead time both uncertain; e.g.
  Silver, Pyke & Thomas, "Inventory and Production Management in Supply Chains", 4th ed., section 6.10);
- reorder point = d * L + SS;
- suggested quantity = d * (L + 7 * weeks) + SS - (available + inbound), rounded up, never negative: what covers
  the lead time plus the planning horizon, net of what is on the shelf and on its way.

A SKU that sold nowhere in the history has no rate to plan with ("no sales in 90 days", never a made-up one), so
the merchant's own reorder point stands (`unsold_target`): as today's rule, a SKU whose stock over all warehouses
(inbound included) is under it has each warehouse topped up to its share. Without that, a new product would get
nothing at all (benchmarks/forecast_backtest.py: 8 of the plan's 17 units short on the demo history were such SKUs).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from statistics import NormalDist

from pydantic import BaseModel, Field

from assistant.planning.forecast import NO_SALES, Forecast, days_of_cover
from assistant.planning.history import Key
from assistant.planning.inputs import PlanInputs

DEFAULT_WEEKS = 4
MIN_MOVE_UNITS = 3  # smaller transfers cost more in handling than they save: few large moves, not many small ones


class ReorderRow(BaseModel):
    sku: str
    title: str
    warehouse: str
    available: int
    per_day: float
    days_of_cover: float | None  # None when there were no sales
    stockout_date: date | None
    lead_time_days: int
    safety_stock: int
    suggested_quantity: int
    suggested_reorder_point: int
    note: str = ""
    inbound: int = 0  # units on their way to this warehouse (counted in the suggested quantity)


class TransferSuggestion(BaseModel):
    sku: str
    title: str
    source: str
    destination: str
    quantity: int
    source_cover_days_after: float | None  # None: the source sells none of it
    destination_cover_days_before: float
    destination_cover_days_after: float


class StockoutRow(BaseModel):
    sku: str
    title: str
    warehouse: str
    available: int
    per_day: float
    days_of_cover: float | None
    stockout_date: date | None
    note: str = ""


class ReorderPlan(BaseModel):
    rows: list[ReorderRow]
    horizon_weeks: int
    service_level: float
    computed_at: datetime
    # The suggested reorder point per SKU of the rows, over all its warehouses (Product.reorder_point is one
    # figure per product, compared with its stock over all warehouses): the sum of the warehouses' points.
    reorder_points: dict[str, int] = Field(default_factory=dict)


class RebalancePlan(BaseModel):
    moves: list[TransferSuggestion]
    computed_at: datetime


def z_value(service_level: float) -> float:
    return max(0.0, NormalDist().inv_cdf(service_level))


def safety_stock(z: float, per_day: float, spread_per_day: float, lead_days: float, lead_std: float) -> float:
    return z * math.sqrt(lead_days * spread_per_day**2 + per_day**2 * lead_std**2)


def _cover(available: int, per_day: float) -> float | None:
    cover = days_of_cover(available, per_day)
    return None if cover is None else round(cover, 1)


def stockout_date(today: date, available: int, per_day: float) -> date | None:
    cover = days_of_cover(available, per_day)
    if cover is None:
        return None
    return today + timedelta(days=min(int(cover), 36_500))  # a century is "not in our lifetime" enough


def _stock_note(forecast: Forecast | None, available: int, cover: float | None, lead_days: float) -> str:
    if forecast is None:
        return NO_SALES
    if available <= 0:
        return "out of stock"
    if cover is not None and cover < lead_days:
        return f"runs out in {int(cover)} days, before an order placed today can arrive ({round(lead_days)} days)"
    return ""


def unsold_target(reorder_point: int, sku_position: int, warehouses: int) -> int:
    """The stock a warehouse is topped up to for a SKU that sold nowhere in the history: its share of the
    merchant's reorder point when the SKU's stock and inbound over all warehouses are under that point, else 0."""
    return math.ceil(reorder_point / max(1, warehouses)) if sku_position < reorder_point else 0


def sold_anywhere(inputs: PlanInputs, sku: str) -> bool:
    return any((sku, code) in inputs.forecasts for code in inputs.codes)


def reorder_row(inputs: PlanInputs, sku: str, warehouse: str, weeks: int, z: float) -> ReorderRow:
    item, lead = inputs.items[sku], inputs.lead_times[sku]
    key: Key = (sku, warehouse)
    forecast = inputs.forecasts.get(key)
    available, inbound = inputs.available.get(key, 0), inputs.inbound.get(key, 0)
    d = forecast.per_day if forecast else 0.0
    sigma_d = forecast.spread_per_day if forecast else 0.0
    ss = safety_stock(z, d, sigma_d, lead.days_mean, lead.days_std) if forecast else 0.0
    reorder_point = d * lead.days_mean + ss
    target = d * (lead.days_mean + 7 * weeks) + ss
    quantity = max(0, math.ceil(target - available - inbound - 1e-9)) if forecast else 0
    cover = _cover(available, d)
    note = _stock_note(forecast, available, cover, lead.days_mean)
    if forecast is None and not sold_anywhere(inputs, sku):
        position = sum(inputs.available.get((sku, c), 0) + inputs.inbound.get((sku, c), 0) for c in inputs.codes)
        share = unsold_target(item.reorder_point, position, len(inputs.codes))
        quantity = max(0, share - available - inbound)
        reorder_point = math.ceil(item.reorder_point / max(1, len(inputs.codes)))  # its share of the standing point
        if quantity:
            note = f"{note}; under your reorder point of {item.reorder_point}: topped up to its share"
    if inbound and forecast is not None:
        note = f"{note}; {inbound} inbound" if note else f"{inbound} inbound"
    return ReorderRow(
        sku=sku,
        title=item.title,
        warehouse=warehouse,
        available=available,
        per_day=round(d, 3),
        days_of_cover=cover,
        stockout_date=stockout_date(inputs.today, available, d),
        lead_time_days=round(lead.days_mean),
        safety_stock=math.ceil(ss - 1e-9),
        suggested_quantity=quantity,
        suggested_reorder_point=math.ceil(reorder_point - 1e-9),
        note=note,
        inbound=inbound,
    )


def _scope(inputs: PlanInputs, warehouse: str | None, skus: Iterable[str] | None) -> list[Key]:
    codes = [warehouse] if warehouse else list(inputs.codes)
    wanted = sorted(set(skus)) if skus is not None else sorted(inputs.items)
    return [(sku, code) for sku in wanted if sku in inputs.items for code in codes]


def _urgency(row: ReorderRow) -> tuple[date, str, str]:
    return (row.stockout_date or date.max, row.sku, row.warehouse)


def reorder_plan(
    inputs: PlanInputs,
    computed_at: datetime,
    weeks: int = DEFAULT_WEEKS,
    service_level: float = 0.95,
    warehouse: str | None = None,
    skus: Iterable[str] | None = None,
) -> ReorderPlan:
    """The rows that need attention, soonest stockout first: a suggested order, or a stockout expected within
    the lead time. Named `skus` get every row, whatever it says (they were asked for)."""
    z = z_value(service_level)
    named = skus is not None
    rows = [reorder_row(inputs, sku, code, weeks, z) for sku, code in _scope(inputs, warehouse, skus)]
    lead_end = {sku: inputs.today + timedelta(days=lead.days_mean) for sku, lead in inputs.lead_times.items()}
    chosen = [
        r
        for r in rows
        if named
        or r.suggested_quantity > 0
        or (r.stockout_date is not None and r.stockout_date <= lead_end[r.sku] and r.per_day > 0)
    ]
    points: dict[str, int] = {}
    for sku in sorted({r.sku for r in chosen}):
        if not sold_anywhere(inputs, sku):  # no evidence to suggest another: the merchant's point stands
            points[sku] = inputs.items[sku].reorder_point
            continue
        points[sku] = sum(reorder_row(inputs, sku, code, weeks, z).suggested_reorder_point for code in inputs.codes)
    return ReorderPlan(
        rows=sorted(chosen, key=_urgency),
        horizon_weeks=weeks,
        service_level=service_level,
        computed_at=computed_at,
        reorder_points=points,
    )


def stockout_rows(inputs: PlanInputs, sku: str, warehouse: str | None = None) -> list[StockoutRow]:
    """When one SKU runs out, per warehouse (or in one), soonest first; no sales: NO_SALES and no date."""
    lead = inputs.lead_times[sku]
    rows = []
    for key in _scope(inputs, warehouse, [sku]):
        forecast = inputs.forecasts.get(key)
        available = inputs.available.get(key, 0)
        d = forecast.per_day if forecast else 0.0
        cover = _cover(available, d)
        rows.append(
            StockoutRow(
                sku=sku,
                title=inputs.items[sku].title,
                warehouse=key[1],
                available=available,
                per_day=round(d, 3),
                days_of_cover=cover,
                stockout_date=stockout_date(inputs.today, available, d),
                note=_stock_note(forecast, available, cover, lead.days_mean),
            )
        )
    return sorted(rows, key=lambda r: (r.stockout_date or date.max, r.warehouse))


def _sku_moves(inputs: PlanInputs, sku: str, z: float, weeks: int) -> list[TransferSuggestion]:
    """Moves of one SKU that bring the warehouses' days of cover towards the pooled cover (all its available
    units over all its daily demand), capped at the lead time plus `weeks` (more cover than an order placed
    today could bring is no reason to move stock). A source keeps at least its lead-time demand plus safety
    stock and its own share of the pooled cover; a destination counts what is inbound to it."""
    lead = inputs.lead_times[sku]
    codes = inputs.codes
    rate = {c: f.per_day if (f := inputs.forecasts.get((sku, c))) else 0.0 for c in codes}
    spread = {c: f.spread_per_day if (f := inputs.forecasts.get((sku, c))) else 0.0 for c in codes}
    stock = {c: max(0, inputs.available.get((sku, c), 0)) for c in codes}
    total_rate = sum(rate.values())
    if total_rate <= 0:
        return []
    pooled = sum(stock.values()) / total_rate
    horizon = lead.days_mean + 7 * weeks
    target_cover = min(pooled, horizon)
    need, give = {}, {}
    for c in codes:
        position = stock[c] + inputs.inbound.get((sku, c), 0)
        if rate[c] > 0 and position / rate[c] < target_cover:
            need[c] = math.ceil(rate[c] * target_cover - position - 1e-9)
        keep = rate[c] * lead.days_mean + safety_stock(z, rate[c], spread[c], lead.days_mean, lead.days_std)
        spare = stock[c] - math.ceil(max(keep, rate[c] * pooled) - 1e-9)
        if spare > 0:
            give[c] = spare
    moves = []
    # The most urgent destination first, each filled from the source with the most to spare.
    for dest in sorted(need, key=lambda c: (stock[c] / rate[c], c)):
        while need[dest] >= MIN_MOVE_UNITS and give:
            source = sorted(give, key=lambda c: (-give[c], c))[0]
            quantity = min(need[dest], give[source])
            if quantity < MIN_MOVE_UNITS:
                break
            moves.append(
                TransferSuggestion(
                    sku=sku,
                    title=inputs.items[sku].title,
                    source=source,
                    destination=dest,
                    quantity=quantity,
                    source_cover_days_after=_cover(stock[source] - quantity, rate[source]),
                    destination_cover_days_before=round(stock[dest] / rate[dest], 1),
                    destination_cover_days_after=round((stock[dest] + quantity) / rate[dest], 1),
                )
            )
            stock[source] -= quantity
            stock[dest] += quantity
            need[dest] -= quantity
            give[source] -= quantity
            if give[source] <= 0:
                del give[source]
    return moves


def rebalance_plan(
    inputs: PlanInputs,
    computed_at: datetime,
    service_level: float = 0.95,
    sku: str | None = None,
    weeks: int = DEFAULT_WEEKS,
) -> RebalancePlan:
    """Transfers between the warehouses, the destination that runs out soonest first."""
    z = z_value(service_level)
    skus = [sku] if sku else sorted(inputs.items)
    moves = [move for s in skus if s in inputs.items for move in _sku_moves(inputs, s, z, weeks)]
    moves.sort(key=lambda m: (m.destination_cover_days_before, -m.quantity, m.sku, m.source, m.destination))
    return RebalancePlan(moves=moves, computed_at=computed_at)
