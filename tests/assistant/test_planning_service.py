"""The planning service on the demo data in Google's Firestore emulator: the plans agree with the orders, stock
and shipments they were computed from (checked against figures the test counts itself), a SKU that sold nothing
says so, and the kept figures are computed again after a stock change, not before."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

import pytest

from app.wiring import Services
from assistant.planning.forecast import NO_SALES
from assistant.planning.history import sast_day, window_start
from assistant.planning.plans import safety_stock, z_value
from assistant.planning.service import PlanningService
from assistant.settings import Settings
from domain.data_version import DataVersions
from domain.errors import InvalidInput, NotFound
from domain.orders import Customer, OrderLineInput, OrderStatus
from domain.store import utcnow

ORG = "bergveld"


@pytest.fixture(scope="module")
def planning(services: Services) -> PlanningService:
    return services.planning


@pytest.fixture(scope="module")
def sold(services: Services) -> dict[tuple[str, str], int]:
    """Units per (sku, warehouse) of the last 90 SAST days, not cancelled, counted here from the orders."""
    start = window_start(sast_day(utcnow()))
    units: dict[tuple[str, str], int] = defaultdict(int)
    for order in services.orders.list(ORG, limit=10_000):
        if order.status != OrderStatus.cancelled and sast_day(order.created_at) >= start:
            for line in order.lines:
                units[(line.sku, order.warehouse)] += line.quantity
    return dict(units)


def test_the_wiring_builds_one_service(services: Services) -> None:
    assert isinstance(services.planning, PlanningService)
    assert services.planning is services.planning
    assert services.planning.service_level == 0.95


def test_the_service_level_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUXORI_SERVICE_LEVEL", "0.99")
    assert Settings().service_level == 0.99
    monkeypatch.setenv("FLUXORI_SERVICE_LEVEL", "1.5")
    with pytest.raises(ValueError, match="service_level"):
        Settings()


def test_forecasts_count_the_orders(
    services: Services, planning: PlanningService, sold: dict[tuple[str, str], int]
) -> None:
    inputs = planning.inputs(ORG)
    # The history starts at the first SAST day with an order in the window: the demo's orders reach back 90 days
    # from the seeding moment, so whether the window's first day holds one depends on the time of day.
    today = sast_day(utcnow())
    orders = services.orders.list(ORG, limit=10_000)
    days = {sast_day(o.created_at) for o in orders if o.status != OrderStatus.cancelled}
    first = min(day for day in days if day >= window_start(today))
    assert inputs.history_days == (today - first).days + 1 >= 89
    assert {k for k, v in sold.items() if v} == set(inputs.forecasts)
    for key, forecast in inputs.forecasts.items():
        assert forecast.units_90d == sold[key]
        assert 0 < forecast.per_day <= sold[key]  # never more a day than the window sold in all
    # Smoothed rates weigh recent days more, one SKU up, another down; over all of them, near the plain average.
    expected = sum(f.per_day for f in inputs.forecasts.values()) * 90
    assert 0.7 < expected / sum(sold.values()) < 1.3


def test_the_reorder_plan_on_the_demo_data(planning: PlanningService) -> None:
    plan = planning.reorder_plan(ORG, weeks=4)
    inputs = planning.inputs(ORG)
    z = z_value(0.95)
    assert plan.rows, "the demo has products to reorder"
    assert plan.horizon_weeks == 4 and plan.service_level == 0.95
    dates = [r.stockout_date for r in plan.rows if r.stockout_date]
    assert dates == sorted(dates)
    for row in plan.rows:
        key = (row.sku, row.warehouse)
        forecast, lead = inputs.forecasts.get(key), inputs.lead_times[row.sku]
        assert row.available == inputs.available[key]
        if forecast is None:
            assert row.note.startswith(NO_SALES) and row.per_day == 0
            if any((row.sku, c) in inputs.forecasts for c in inputs.codes):  # sold elsewhere: nothing here
                assert row.suggested_quantity == 0
            else:  # sold nowhere: topped up to a third of the hand-typed point, the SKU being under it
                point = inputs.items[row.sku].reorder_point
                total = sum(inputs.available.get((row.sku, c), 0) for c in inputs.codes)
                assert total < point and row.suggested_quantity == math.ceil(point / 3) - row.available - row.inbound
                assert plan.reorder_points[row.sku] == point
            continue
        d = forecast.per_day
        ss = safety_stock(z, d, forecast.spread_per_day, lead.days_mean, lead.days_std)
        assert row.safety_stock == math.ceil(ss - 1e-9)
        assert row.suggested_reorder_point == math.ceil(d * lead.days_mean + ss - 1e-9)
        target = d * (lead.days_mean + 28) + ss
        assert row.suggested_quantity == max(0, math.ceil(target - row.available - row.inbound - 1e-9))
        assert row.days_of_cover == pytest.approx(max(0, row.available) / d, abs=0.05)
        assert row.stockout_date == inputs.today + timedelta(days=min(36_500, int(max(0, row.available) / d)))
        assert row.suggested_quantity > 0 or row.stockout_date <= inputs.today + timedelta(days=lead.days_mean)
    # The low-stock report's products are in it (their available stock is under a hand-typed point; the ones that
    # sell get an order).
    assert {r.sku for r in plan.rows} & {p.sku for p, _ in planning.services.inventory.low_stock(ORG)}
    # More weeks, never less to order.
    longer = {(r.sku, r.warehouse): r.suggested_quantity for r in planning.reorder_plan(ORG, weeks=8).rows}
    for row in plan.rows:
        assert longer[(row.sku, row.warehouse)] >= row.suggested_quantity


def test_a_warehouse_by_city_and_named_skus(planning: PlanningService) -> None:
    cpt = planning.reorder_plan(ORG, warehouse="Cape Town")
    assert cpt.rows and {r.warehouse for r in cpt.rows} == {"CPT"}
    some = [r.sku for r in cpt.rows[:3]]
    named = planning.reorder_plan(ORG, skus=[s.lower() for s in some])
    assert {r.sku for r in named.rows} == set(some)
    assert {(r.sku, r.warehouse) for r in named.rows} == {(s, w) for s in some for w in ("CPT", "DBN", "JHB")}
    with pytest.raises(NotFound, match="no warehouse"):
        planning.reorder_plan(ORG, warehouse="Pretoria")
    with pytest.raises(NotFound, match="BV-NOPE-0001"):
        planning.reorder_plan(ORG, skus=["BV-NOPE-0001"])
    with pytest.raises(InvalidInput):
        planning.reorder_plan(ORG, weeks=0)


def test_lead_times_are_measured_from_the_demo_shipments(planning: PlanningService) -> None:
    inputs = planning.inputs(ORG)
    measured = {(lt.supplier, lt.mode): lt for lt in inputs.measured}
    # The demo's boots come by air from Italy (three shipments, two of them arrived).
    boots = measured[("Calzature Dolomiti", "air")]
    assert boots.samples == 2 and 5 <= boots.days_mean <= 9
    boot_sku = next(s for s in inputs.items if s.startswith("BV-BOOT-"))
    assert inputs.lead_times[boot_sku].mode == "air" and inputs.lead_times[boot_sku].source == "measured"
    # Tents (Ningbo, sea): no arrived sea shipment of that supplier, so the default for sea from China.
    tent = inputs.lead_times["BV-TENT-0001"]
    assert (tent.mode, tent.source, tent.days_mean) == ("sea", "default", 42.0)
    assert sum(inputs.inbound.values()) > 0


def test_stockout_forecast(planning: PlanningService, sold: dict[tuple[str, str], int]) -> None:
    inputs = planning.inputs(ORG)
    never = sorted(s for s in inputs.items if not any(sold.get((s, w)) for w in inputs.codes))
    assert never, "the demo has products that did not sell in 90 days"
    rows = planning.stockout_forecast(ORG, never[0])
    assert [r.note for r in rows] == [NO_SALES] * 3
    assert all(r.per_day == 0 and r.stockout_date is None and r.days_of_cover is None for r in rows)
    seller = max(sold, key=lambda k: sold[k])
    [row] = planning.stockout_forecast(ORG, seller[0], warehouse=seller[1])
    assert row.warehouse == seller[1] and row.per_day > 0
    forecast = inputs.forecasts[seller]
    assert row.stockout_date == inputs.today + timedelta(days=int(max(0, row.available) / forecast.per_day))
    with pytest.raises(NotFound):
        planning.stockout_forecast(ORG, "BV-NOPE-0001")


def test_the_rebalance_plan_on_the_demo_data(planning: PlanningService) -> None:
    plan = planning.rebalance_plan(ORG)
    inputs = planning.inputs(ORG)
    assert plan.moves, "the demo has stock to even out"
    assert plan == planning.rebalance_plan(ORG)  # deterministic
    z = z_value(0.95)
    for move in plan.moves:
        assert move.quantity >= 3 and move.source != move.destination
        lead = inputs.lead_times[move.sku]
        src = inputs.forecasts.get((move.sku, move.source))
        left = inputs.available[(move.sku, move.source)] - move.quantity
        if src is not None:  # the source keeps its own lead-time demand and safety stock
            keep = src.per_day * lead.days_mean + safety_stock(
                z, src.per_day, src.spread_per_day, lead.days_mean, lead.days_std
            )
            assert left >= keep
        assert left >= 0
        assert move.destination_cover_days_after > move.destination_cover_days_before
        if move.source_cover_days_after is not None:
            assert move.source_cover_days_after >= move.destination_cover_days_after - 1
    one = plan.moves[0].sku
    assert [m for m in plan.moves if m.sku == one] == planning.rebalance_plan(ORG, sku=one).moves


def test_the_kept_figures_refresh_after_a_stock_change(services: Services, planning: PlanningService) -> None:
    # A SKU this module reads nowhere else: its JHB stock drops to zero.
    inputs = planning.inputs(ORG)
    sku = sorted(s for s in inputs.items if s.startswith("BV-FLASK-"))[-1]
    before = planning.computations
    planning.reorder_plan(ORG)
    planning.stockout_forecast(ORG, sku)
    assert planning.computations == before  # unchanged data: nothing computed again
    available = inputs.available[(sku, "JHB")]
    assert available > 0
    services.inventory.adjust(ORG, sku, "JHB", -available, "damaged (planning test)")
    [row] = planning.stockout_forecast(ORG, sku, warehouse="JHB")
    assert planning.computations == before + 1
    assert row.available == 0
    assert planning.inputs(ORG).available[(sku, "JHB")] == 0
    # Another organisation's figures are its own.
    assert "BV-TENT-0001" not in planning.inputs("fynbos").items


def test_the_data_version_moves_with_every_kind_of_change(services: Services) -> None:
    versions = DataVersions(services.store)
    first = versions.of(ORG)
    assert versions.of(ORG) == first  # nothing changed
    sku = "BV-PACK-0001"
    services.products.set_reorder_point(ORG, sku, 17)
    second = versions.of(ORG)
    assert second != first
    services.orders.place(ORG, "webshop", Customer(name="Planning Test"), [OrderLineInput(sku=sku, quantity=1)], "JHB")
    third = versions.of(ORG)
    assert third != second
    assert versions.of("fynbos") != third
