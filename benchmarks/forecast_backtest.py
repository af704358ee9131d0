"""Backtest of the demand forecast and the reorder plan (assistant/planning), and the plan's latency.

Two histories of 90 days of daily units per SKU and warehouse; the last 28 days are held out, the forecast sees
the first 62:

- demo: the demo organisations' orders (bergveld and fynbos, domain/demo.py, generated in memory with a fixed
  clock: 402 SKUs x 3 warehouses, 1,000 orders), the fulfilment warehouse of each order, cancelled ones left out.
- synthetic: five seeded draws (seeds 1-5, pooled) of 200 SKUs x 3 warehouses (JHB takes half the demand,
  CPT 30%, DBN 20%). Each SKU has a base rate (log-normal, median 0.25 units a day), a chance of a demand on a
  day (Beta(0.8, 1.6): most SKUs sell on a minority of days, some on most) and geometric demand sizes whose mean
  keeps the expected units at the rate (so sparse fast movers are lumpy).
  Seasonality: a weekly cycle (Friday to Sunday x1.5, Monday x0.8) and a 90-day swing of +-30% with a phase of
  its own per category (10 categories). Changes of regime: 15% of the SKUs fade to 30% of their rate from a
  random day in the last 40 (a product going out of fashion), 10% double from such a day (one taking off).

Scored against two baselines:
- the naive 28-day mean (units of the last 28 training days / 28), for the forecast: MASE per SKU and warehouse
  (mean absolute error over the 28 held-out days, scaled by the in-sample mean absolute one-day change of the
  training days; series with no training sales or a zero scale are left out), reported as the mean over series;
- today's reorder-point rule, for the plan: a product under its hand-typed reorder point is topped up to it
  (a third of it per warehouse). The plan tops a warehouse up to its forecast demand for the 28 days plus the
  safety stock at 95% (z * sigma_d * sqrt(28)). Both act at the cut, as if the goods arrived at once, so both
  are judged on how much stock they hold, not on a lead time longer than the window. A SKU that sold nowhere in
  the training days is topped up to its share of the hand-typed reorder point, as the plan does
  (`assistant.planning.plans.unsold_target`), whichever forecaster is scored. The stock at the cut is
  the demo's current available stock (generated independently of its orders; synthetic: 0-60 days of the base
  rate). Units short (held-out demand above the stock) and in excess (stock left at the end), summed.
- stockouts predicted (forecast cover of the stock at the cut < 28 days) against those that happened (held-out
  demand > stock at the cut): precision and recall, for the forecast and for the naive mean.

A word on MASE: on intermittent demand an absolute error is smallest for the median forecast, which is zero for
most of these series, so a forecast of nothing "wins" (the reference row shows it) and a method that decays sparse
SKUs towards zero looks better than it plans. Shown beside it for that reason: RMSSE (the M5 competition's squared
scaled error, smallest for the mean), the mean absolute error of the 28-day total (what an order for the period
gets wrong) and forecast units over actual units (bias; above 1 on the demo because only series that sold in
training are scored, and those sell less afterwards: regression to the mean).

The last line, for BENCHMARKS.md: `mase_forecast=X mase_naive=Y shortfall_plan=A shortfall_rule=B` (demo).

Latency: a plan for 200 SKUs x 3 warehouses (2,400 orders, 10 shipments, built in memory): the forecasts and
lead times (`build_inputs`) plus the reorder and rebalancing plans, median of 20 runs; and the same through
`PlanningService` with in-memory repositories, cold (computing) and cached (a data-version read that matches).

Run: `.venv/bin/python benchmarks/forecast_backtest.py [--methods]` (a few seconds). `--methods` also scores each
method of assistant.planning.forecast on its own.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.planning.forecast import METHODS, forecast_series  # noqa: E402
from assistant.planning.history import daily_units, sast_day  # noqa: E402
from assistant.planning.inputs import build_inputs  # noqa: E402
from assistant.planning.plans import rebalance_plan, reorder_plan, unsold_target, z_value  # noqa: E402
from assistant.planning.service import PlanningService  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from domain import demo  # noqa: E402
from domain.catalog import Product  # noqa: E402
from domain.inventory import StockLevel, Warehouse  # noqa: E402
from domain.orders import Channel, Customer, Order, OrderLine, OrderStatus  # noqa: E402
from domain.trade import Incoterm, Shipment, ShipmentLine, ShipmentStatus  # noqa: E402

NOW = datetime(2026, 1, 15, 8, 30, tzinfo=UTC)  # the demo data's fixed clock (as tests/domain/test_demo_catalogue)
HOLDOUT = 28
SERVICE_LEVEL = 0.95
LEVELS = (0.99, 0.999)  # the plan with more safety stock: units short against units ordered, beside the rule
SYNTHETIC_SEEDS = (1, 2, 3, 4, 5)
Key = tuple[str, str]


@dataclass
class History:
    name: str
    series: dict[Key, list[int]]  # 90 days each, oldest first
    stock: dict[Key, int]  # available at the cut
    reorder_point: dict[str, int]  # per product (over all warehouses)
    warehouses: tuple[str, ...]


# Histories -------------------------------------------------------------------------------------------------
def demo_history() -> History:
    series: dict[Key, list[int]] = {}
    stock: dict[Key, int] = {}
    points: dict[str, int] = {}
    for org in demo.DEMO_ORGS:
        rng = random.Random(f"fluxori-demo-{org.id}")
        products = demo.build_products(org, rng)
        orders = demo.build_orders(products, rng, NOW)
        levels = demo.build_stock(products, orders, rng)
        found, days = daily_units(orders, sast_day(NOW))
        assert days == 90, days
        for p in products:
            points[p.sku] = p.reorder_point
            for w in demo.WAREHOUSES:
                series[(p.sku, w.code)] = found.get((p.sku, w.code), [0] * days)
        for level in levels:
            stock[(level.sku, level.warehouse)] = max(0, level.available)
    return History("demo", series, stock, points, tuple(w.code for w in demo.WAREHOUSES))


def synthetic_history(seed: int = 24, skus: int = 200, days: int = 90) -> History:
    rng = random.Random(seed)
    weights = {"JHB": 0.5, "CPT": 0.3, "DBN": 0.2}
    phases = [rng.uniform(0, 2 * math.pi) for _ in range(10)]
    series: dict[Key, list[int]] = {}
    stock: dict[Key, int] = {}
    points: dict[str, int] = {}
    for n in range(skus):
        sku = f"SY-ITEM-{n + 1:04d}"
        rate = math.exp(rng.gauss(math.log(0.25), 1.0))
        chance = min(0.95, rng.betavariate(0.8, 1.6))
        phase = phases[n % 10]
        change_day, change = days, 1.0
        roll = rng.random()
        if roll < 0.15:
            change_day, change = rng.randint(days - 40, days - 1), 0.3
        elif roll < 0.25:
            change_day, change = rng.randint(days - 40, days - 1), 2.0
        first_30 = 0
        for code, weight in weights.items():
            units = []
            for day in range(days):
                weekday = (NOW.date() - timedelta(days=days - 1 - day)).weekday()
                weekly = 1.5 if weekday >= 4 else 0.8 if weekday == 0 else 1.0
                season = 1 + 0.3 * math.sin(2 * math.pi * day / 90 + phase)
                expected = rate * weight * weekly * season * (change if day >= change_day else 1.0)
                # A demand on a day with chance p, of mean size expected / p (>= 1 unit): `expected` units a day.
                p = min(chance, expected)
                units.append(_geometric(rng, expected / p) if rng.random() < p else 0)
            series[(sku, code)] = units
            first_30 += sum(units[:30])
            stock[(sku, code)] = round(rate * weight * rng.uniform(0, 60))
        points[sku] = max(5, 5 * round(first_30 / 5))  # a rule of thumb set once: a month of sales, in fives
    return History("synthetic", series, stock, points, tuple(weights))


def _geometric(rng: random.Random, mean: float) -> int:
    """1, 2, 3, ... with the given mean (>= 1)."""
    if mean <= 1:
        return 1
    p = 1 / mean
    return 1 + int(math.log(1 - rng.random()) / math.log(1 - p))


# Scores ----------------------------------------------------------------------------------------------------
def mase(actual: Sequence[int], forecast: float, train: Sequence[int]) -> float | None:
    scale = statistics.fmean(abs(b - a) for a, b in itertools.pairwise(train))
    if scale == 0:
        return None
    return statistics.fmean(abs(y - forecast) for y in actual) / scale


def rmsse(actual: Sequence[int], forecast: float, train: Sequence[int]) -> float | None:
    """The M5 competition's root mean squared scaled error: squared errors reward the mean, not the median."""
    scale = statistics.fmean((b - a) ** 2 for a, b in itertools.pairwise(train))
    if scale == 0:
        return None
    return math.sqrt(statistics.fmean((y - forecast) ** 2 for y in actual) / scale)


def precision_recall(predicted: set[Key], happened: set[Key]) -> tuple[float, float]:
    hits = len(predicted & happened)
    return (hits / len(predicted) if predicted else 1.0, hits / len(happened) if happened else 1.0)


Forecaster = Callable[[Sequence[int]], tuple[float, float] | None]  # -> (per day, spread) or None


def plan_forecaster(method: str | None = None) -> Forecaster:
    def run(train: Sequence[int]) -> tuple[float, float] | None:
        f = forecast_series(train, method=method)  # type: ignore[arg-type]
        return None if f is None else (f.per_day, f.spread_per_day)

    return run


def zero_forecaster(train: Sequence[int]) -> tuple[float, float] | None:
    """A forecast of nothing: the median of most intermittent series, so it wins on MASE (see report())."""
    return (0.0, 0.0) if sum(train) else None


def naive_forecaster(train: Sequence[int]) -> tuple[float, float] | None:
    window = train[-HOLDOUT:]
    return (statistics.fmean(window), statistics.stdev(window)) if sum(train) else None


def score(history: History, forecaster: Forecaster, service_level: float = SERVICE_LEVEL) -> dict[str, Any]:
    z = z_value(service_level)
    mases: list[float] = []
    rmsses: list[float] = []
    forecast_units = actual_units = 0.0
    total_errors: list[float] = []  # |28-day demand - 28 x rate|: what an order for the period gets wrong
    short_unsold = 0  # units short at warehouses where the SKU sold nothing in the training days
    predicted: set[Key] = set()
    happened: set[Key] = set()
    short = excess = ordered = 0
    fcs = {key: forecaster(units[:-HOLDOUT]) for key, units in history.series.items()}
    for key, units in history.series.items():
        train, actual = units[:-HOLDOUT], units[-HOLDOUT:]
        demand, on_hand = sum(actual), history.stock[key]
        if demand > on_hand:
            happened.add(key)
        fc = fcs[key]
        rate, spread = fc if fc else (0.0, 0.0)
        if fc is not None and (m := mase(actual, rate, train)) is not None:
            mases.append(m)
            rmsses.append(rmsse(actual, rate, train) or 0.0)
            forecast_units += rate * HOLDOUT
            total_errors.append(abs(demand - rate * HOLDOUT))
            actual_units += demand
        if rate * HOLDOUT > on_hand:
            predicted.add(key)
        target = math.ceil(rate * HOLDOUT + z * spread * math.sqrt(HOLDOUT) - 1e-9) if fc else 0
        if not any(fcs[(key[0], code)] for code in history.warehouses):  # sold nowhere: the merchant's point
            position = sum(history.stock[(key[0], code)] for code in history.warehouses)
            target = unsold_target(history.reorder_point[key[0]], position, len(history.warehouses))
        held = max(on_hand, target)
        ordered += held - on_hand
        short += max(0, demand - held)
        excess += max(0, held - demand)
        if sum(train) == 0:
            short_unsold += max(0, demand - held)
    precision, recall = precision_recall(predicted, happened)
    return {
        "mase": statistics.fmean(mases),
        "rmsse": statistics.fmean(rmsses),
        "total_error": statistics.fmean(total_errors),
        "bias": forecast_units / actual_units if actual_units else 0.0,
        "short_unsold": short_unsold,
        "series": len(mases),
        "precision": precision,
        "recall": recall,
        "predicted": len(predicted),
        "happened": len(happened),
        "short": short,
        "excess": excess,
        "ordered": ordered,
    }


def score_rule(history: History) -> dict[str, Any]:
    short = excess = ordered = 0
    for (sku, code), units in history.series.items():
        demand, on_hand = sum(units[-HOLDOUT:]), history.stock[(sku, code)]
        total = sum(history.stock[(sku, c)] for c in history.warehouses)
        share = math.ceil(history.reorder_point[sku] / len(history.warehouses))
        held = max(on_hand, share) if total < history.reorder_point[sku] else on_hand
        ordered += held - on_hand
        short += max(0, demand - held)
        excess += max(0, held - demand)
    return {"short": short, "excess": excess, "ordered": ordered}


def report(history: History, methods: bool) -> dict[str, Any]:
    plan, naive, rule = score(history, plan_forecaster()), score(history, naive_forecaster), score_rule(history)
    print(f"\n## {history.name}: {len(history.series)} SKU x warehouse series, the last {HOLDOUT} days held out\n")
    print(
        "| | MASE | RMSSE | 28-day total error | forecast/actual units | stockouts precision | recall "
        "| units short | in excess | ordered |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = [
        ("forecast (the plan's)", plan),
        ("naive 28-day mean", naive),
        ("zero (reference)", score(history, zero_forecaster)),
    ]
    rows += [(f"forecast at {level:.1%} service", score(history, plan_forecaster(), level)) for level in LEVELS]
    if methods:
        rows += [(f"method {m} alone", score(history, plan_forecaster(m))) for m in METHODS]
    for name, s in rows:
        print(
            f"| {name} | {s['mase']:.3f} | {s['rmsse']:.3f} | {s['total_error']:.2f} | {s['bias']:.2f} | "
            f"{s['precision']:.2f} | "
            f"{s['recall']:.2f} | {s['short']} | {s['excess']} | {s['ordered']} |"
        )
    print(f"| reorder-point rule | | | | | | | {rule['short']} | {rule['excess']} | {rule['ordered']} |")
    print(
        f"\n{plan['series']} series with training sales scored; stockouts that happened: {plan['happened']}, "
        f"predicted by the forecast {plan['predicted']}, by the naive mean {naive['predicted']}; of the plan's "
        f"{plan['short']} units short, {plan['short_unsold']} at warehouses where the SKU sold nothing in training."
    )
    return {"plan": plan, "naive": naive, "rule": rule}


def pooled(histories: Sequence[History]) -> History:
    """Several histories as one (their SKUs are distinct)."""
    first = histories[0]
    joined = History(f"{first.name} ({len(histories)} seeded draws)", {}, {}, {}, first.warehouses)
    for n, h in enumerate(histories):
        joined.series.update({(f"{sku}-{n}", w): units for (sku, w), units in h.series.items()})
        joined.stock.update({(f"{sku}-{n}", w): units for (sku, w), units in h.stock.items()})
        joined.reorder_point.update({f"{sku}-{n}": point for sku, point in h.reorder_point.items()})
    return joined


# Latency ---------------------------------------------------------------------------------------------------
def latency_data(skus: int = 200, orders: int = 2400, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    warehouses = [Warehouse(code=c, name=f"{c} warehouse", city=c) for c in ("JHB", "CPT", "DBN")]
    suppliers = [("Ningbo Outdoor Co", "CN"), ("Calzature Dolomiti", "IT"), ("Shenzhen Bright Tech", "CN")]
    products = []
    for n in range(skus):
        supplier, origin = suppliers[n % 3]
        products.append(
            Product(
                sku=f"LT-ITEM-{n + 1:04d}",
                title=f"Item {n + 1}",
                category="bench",
                price_cents=10_000,
                supplier=supplier,
                origin_country=origin,
                reorder_point=rng.choice((5, 10, 20)),
            )
        )
    levels = [StockLevel(sku=p.sku, warehouse=w.code, on_hand=rng.randint(0, 60)) for p in products for w in warehouses]
    order_list = []
    for n in range(orders):
        picked = rng.sample(products, k=rng.choice((1, 1, 2, 3)))
        lines = [
            OrderLine(sku=p.sku, title=p.title, quantity=rng.randint(1, 3), unit_price_cents=10_000) for p in picked
        ]
        order_list.append(
            Order(
                number=1000 + n,
                channel=Channel.takealot,
                status=OrderStatus.delivered,
                warehouse=rng.choice(warehouses).code,
                customer=Customer(name="Bench"),
                lines=lines,
                subtotal_cents=0,
                vat_cents=0,
                total_cents=0,
                created_at=NOW - timedelta(minutes=rng.randint(10, 89 * 24 * 60)),
            )
        )
    shipments = [
        Shipment(
            supplier=suppliers[n % 3][0],
            origin_country=suppliers[n % 3][1],
            origin_port="Ningbo",
            destination_port="Durban",
            destination_warehouse="DBN",
            incoterm=Incoterm.FOB,
            status=ShipmentStatus.delivered if n % 2 else ShipmentStatus.in_transit,
            eta=NOW.date() - timedelta(days=5 * n),
            ordered_on=NOW.date() - timedelta(days=5 * n + 40),
            arrived_on=NOW.date() - timedelta(days=5 * n) if n % 2 else None,
            fob_value=Decimal(1000),
            currency="USD",
            lines=[ShipmentLine(sku=products[n].sku, quantity=100, hs_code="6306.22")],
        )
        for n in range(10)
    ]
    return {
        "warehouses": warehouses,
        "products": products,
        "levels": levels,
        "orders": order_list,
        "shipments": shipments,
    }


class _Repo:
    """In-memory stand-ins for the repositories the planning service reads."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def warehouses(self, org_id: str) -> list[Warehouse]:
        return list(self.data["warehouses"])

    def all_levels(self, org_id: str) -> list[StockLevel]:
        return list(self.data["levels"])

    def list(self, org_id: str, **_: Any) -> list[Any]:
        return list(self.data[self.kind])

    kind = "products"


class _Services:
    def __init__(self, data: dict[str, Any]) -> None:
        self.settings = Settings()
        self.store = None
        self.inventory = _Repo(data)
        self.products = _Repo(data)
        self.orders, self.orders.kind = _Repo(data), "orders"
        self.shipments, self.shipments.kind = _Repo(data), "shipments"


def _median_ms(fn: Callable[[], object], runs: int = 20) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def latency() -> None:
    data = latency_data()
    today = sast_day(NOW)

    def full() -> None:
        inputs = build_inputs(
            today, data["warehouses"], data["products"], data["levels"], data["orders"], data["shipments"]
        )
        reorder_plan(inputs, NOW)
        rebalance_plan(inputs, NOW)

    inputs = build_inputs(
        today, data["warehouses"], data["products"], data["levels"], data["orders"], data["shipments"]
    )
    cold = _median_ms(full)
    plans_only = _median_ms(lambda: (reorder_plan(inputs, NOW), rebalance_plan(inputs, NOW)))
    version = [0]
    service = PlanningService(_Services(data), version=lambda org: version[0], clock=lambda: NOW)  # type: ignore[arg-type]

    def service_cold() -> None:
        version[0] += 1  # the data changed: compute again
        service.reorder_plan("bench")
        service.rebalance_plan("bench")

    through_cold = _median_ms(service_cold)
    through_warm = _median_ms(lambda: (service.reorder_plan("bench"), service.rebalance_plan("bench")))
    print(f"\n## latency: 200 SKUs x 3 warehouses, {len(data['orders'])} orders, median of 20 runs")
    print(
        f"forecasts + lead times + reorder and rebalance plans: {cold:.1f} ms (of which the plans {plans_only:.1f} ms)"
    )
    print(f"PlanningService, data changed: {through_cold:.1f} ms; unchanged (cached): {through_warm:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", action="store_true", help="also score each forecasting method on its own")
    args = parser.parse_args()
    demo_scores = report(demo_history(), args.methods)
    report(pooled([synthetic_history(seed) for seed in SYNTHETIC_SEEDS]), args.methods)
    latency()
    plan, naive, rule = demo_scores["plan"], demo_scores["naive"], demo_scores["rule"]
    print(
        f"mase_forecast={plan['mase']:.3f} mase_naive={naive['mase']:.3f} "
        f"shortfall_plan={plan['short']} shortfall_rule={rule['short']}"
    )


if __name__ == "__main__":
    main()
