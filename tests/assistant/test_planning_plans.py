"""The plans on small inputs computed by hand: safety stock, reorder point and quantity, days of cover and the
stockout date, and the rebalancing moves (evening out cover, never leaving a source short)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest

from assistant.planning.forecast import NO_SALES, Forecast
from assistant.planning.inputs import Item, PlanInputs
from assistant.planning.lead_times import LeadTime
from assistant.planning.plans import (
    rebalance_plan,
    reorder_plan,
    reorder_row,
    safety_stock,
    stockout_rows,
    unsold_target,
    z_value,
)
from domain.inventory import Warehouse

TODAY = date(2026, 3, 10)
AT = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
WAREHOUSES = tuple(
    Warehouse(code=c, name=f"{c} warehouse", city=city)
    for c, city in (("CPT", "Cape Town"), ("DBN", "Durban"), ("JHB", "Johannesburg"))
)


def fc(sku: str, warehouse: str, per_day: float, spread: float) -> Forecast:
    return Forecast(
        sku=sku,
        warehouse=warehouse,
        method="tsb",
        per_day=per_day,
        spread_per_day=spread,
        units_90d=round(per_day * 90),
        sales_days=10,
        history_days=90,
    )


def lead(days: float, std: float) -> LeadTime:
    return LeadTime(
        origin_country="CN",
        supplier="Ningbo Outdoor Co",
        mode="sea",
        days_mean=days,
        days_std=std,
        samples=2,
        source="measured",
    )


def inputs(
    available: dict[tuple[str, str], int],
    forecasts: list[Forecast],
    lead_time: LeadTime,
    inbound: dict[tuple[str, str], int] | None = None,
    skus: tuple[str, ...] = ("BV-TENT-0001",),
) -> PlanInputs:
    return PlanInputs(
        today=TODAY,
        warehouses=WAREHOUSES,
        items={
            s: Item(sku=s, title=f"Tent {s}", supplier="Ningbo Outdoor Co", origin_country="CN", reorder_point=10)
            for s in skus
        },
        available=available,
        forecasts={(f.sku, f.warehouse): f for f in forecasts},
        lead_times=dict.fromkeys(skus, lead_time),
        inbound=inbound or {},
        history_days=90,
    )


def test_safety_stock_by_hand() -> None:
    z = z_value(0.95)
    assert z == pytest.approx(1.6448536)
    # d = 0.5, sigma_d = 1, L = 42, sigma_L = 5: sqrt(42 * 1 + 0.25 * 25) = sqrt(48.25) = 6.94622
    assert safety_stock(z, 0.5, 1.0, 42, 5) == pytest.approx(1.6448536 * 48.25**0.5)
    assert safety_stock(z, 0.5, 1.0, 42, 5) == pytest.approx(11.4255, abs=1e-3)
    assert z_value(0.5) == 0.0
    assert safety_stock(z_value(0.99), 0.5, 1.0, 42, 5) > safety_stock(z, 0.5, 1.0, 42, 5)


def test_a_reorder_row_by_hand() -> None:
    data = inputs(
        {("BV-TENT-0001", "JHB"): 10},
        [fc("BV-TENT-0001", "JHB", 0.5, 1.0)],
        lead(42, 5),
        inbound={("BV-TENT-0001", "JHB"): 5},
    )
    row = reorder_row(data, "BV-TENT-0001", "JHB", weeks=4, z=z_value(0.95))
    assert row.safety_stock == 12  # 11.4255 rounded up
    assert row.suggested_reorder_point == 33  # 0.5 * 42 + 11.4255 = 32.43, rounded up
    # covers 42 + 28 days: 0.5 * 70 + 11.4255 = 46.43, minus 10 available and 5 inbound = 31.43 -> 32
    assert row.suggested_quantity == 32
    assert row.days_of_cover == 20.0  # 10 / 0.5
    assert row.stockout_date == date(2026, 3, 30)
    assert row.lead_time_days == 42
    assert "runs out in 20 days" in row.note and "5 inbound" in row.note


def test_never_a_negative_quantity_and_no_rate_without_sales() -> None:
    data = inputs(
        {("BV-TENT-0001", "JHB"): 500, ("BV-TENT-0001", "CPT"): 4}, [fc("BV-TENT-0001", "JHB", 0.5, 1.0)], lead(42, 5)
    )
    z = z_value(0.95)
    assert reorder_row(data, "BV-TENT-0001", "JHB", 4, z).suggested_quantity == 0
    unsold = reorder_row(data, "BV-TENT-0001", "CPT", 4, z)
    assert (unsold.per_day, unsold.days_of_cover, unsold.stockout_date) == (0.0, None, None)
    assert (unsold.suggested_quantity, unsold.suggested_reorder_point, unsold.note) == (0, 0, NO_SALES)
    [row] = stockout_rows(data, "BV-TENT-0001", "CPT")
    assert (row.stockout_date, row.note) == (None, NO_SALES)


def test_a_sku_sold_nowhere_keeps_the_merchants_reorder_point() -> None:
    """No rate is made up: under its hand-typed point (stock and inbound over all warehouses) each warehouse is
    topped up to its share of it; at or above it, nothing is suggested."""
    z = z_value(0.95)
    data = inputs(
        {("BV-TENT-0001", "JHB"): 2, ("BV-TENT-0001", "CPT"): 3},
        [],
        lead(42, 5),
        inbound={("BV-TENT-0001", "DBN"): 1},
    )  # the point is 10 (see `inputs`): 6 held or inbound, each warehouse's share is 4
    rows = {c: reorder_row(data, "BV-TENT-0001", c, 4, z) for c in ("JHB", "CPT", "DBN")}
    assert {c: r.suggested_quantity for c, r in rows.items()} == {"JHB": 2, "CPT": 1, "DBN": 3}
    assert all(r.note.startswith(NO_SALES) and r.per_day == 0 and r.days_of_cover is None for r in rows.values())
    assert reorder_plan(data, AT).reorder_points == {"BV-TENT-0001": 10}
    full = inputs({("BV-TENT-0001", "JHB"): 10}, [], lead(42, 5))
    assert reorder_row(full, "BV-TENT-0001", "CPT", 4, z).suggested_quantity == 0
    assert unsold_target(10, 9, 3) == 4 and unsold_target(10, 10, 3) == 0


def test_the_plan_lists_what_needs_ordering_soonest_first() -> None:
    skus = ("BV-TENT-0001", "BV-TENT-0002", "BV-TENT-0003")
    data = inputs(
        {("BV-TENT-0001", "JHB"): 30, ("BV-TENT-0002", "JHB"): 2, ("BV-TENT-0003", "JHB"): 400},
        [fc(s, "JHB", 1.0, 1.0) for s in skus],
        lead(42, 5),
        skus=skus,
    )
    plan = reorder_plan(data, AT, weeks=4, service_level=0.95)
    assert [(r.sku, r.warehouse) for r in plan.rows] == [("BV-TENT-0002", "JHB"), ("BV-TENT-0001", "JHB")]
    assert plan.rows[0].stockout_date == date(2026, 3, 12)
    assert (plan.horizon_weeks, plan.service_level, plan.computed_at) == (4, 0.95, AT)
    # The product's reorder point is the sum over its warehouses (only JHB sells): 1 * 42 + SS
    ss = safety_stock(z_value(0.95), 1.0, 1.0, 42, 5)
    assert plan.reorder_points == {"BV-TENT-0001": math.ceil(42 + ss), "BV-TENT-0002": math.ceil(42 + ss)}
    # Named SKUs get all their rows, also those that need nothing.
    named = reorder_plan(data, AT, skus=["BV-TENT-0003"], warehouse="JHB")
    assert [(r.sku, r.suggested_quantity) for r in named.rows] == [("BV-TENT-0003", 0)]
    # More weeks, more to order.
    assert reorder_plan(data, AT, weeks=8).rows[0].suggested_quantity == plan.rows[0].suggested_quantity + 28


def test_a_rebalancing_move_by_hand() -> None:
    sku = "BV-TENT-0001"
    data = inputs(
        {(sku, "JHB"): 5, (sku, "CPT"): 100, (sku, "DBN"): 30},
        [fc(sku, "JHB", 1.0, 1.0), fc(sku, "CPT", 0.1, 0.3)],
        lead(7, 2),
    )
    # Pooled cover 135 / 1.1 = 122.7 days, capped at lead time + 4 weeks = 35 days. JHB has 5 days: it needs 30.
    # CPT keeps max(0.7 + SS, 12.27) -> 13 and can give 87; DBN sells none and can give 30. Largest spare first.
    [move] = rebalance_plan(data, AT).moves
    assert (move.source, move.destination, move.quantity) == ("CPT", "JHB", 30)
    assert (move.destination_cover_days_before, move.destination_cover_days_after) == (5.0, 35.0)
    assert move.source_cover_days_after == 700.0
    assert rebalance_plan(data, AT) == rebalance_plan(data, AT)  # deterministic


def test_no_move_leaves_the_source_under_its_lead_time_demand() -> None:
    sku = "BV-TENT-0001"
    # JHB is empty, CPT holds 20 but needs 42 days x 1 a day + safety stock itself: nothing to give.
    data = inputs(
        {(sku, "JHB"): 0, (sku, "CPT"): 20}, [fc(sku, "JHB", 1.0, 1.0), fc(sku, "CPT", 1.0, 1.0)], lead(42, 5)
    )
    assert rebalance_plan(data, AT).moves == []


def test_small_moves_are_left_out() -> None:
    sku = "BV-TENT-0001"
    # JHB needs 2 units to reach the cap: below the minimum move of 3.
    data = inputs({(sku, "JHB"): 33, (sku, "DBN"): 50}, [fc(sku, "JHB", 1.0, 0.5)], lead(7, 2))
    assert rebalance_plan(data, AT).moves == []
