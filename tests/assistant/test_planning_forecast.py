"""The forecast maths on short series computed by hand (alpha = 0.1 throughout; every smoother starts at the
mean of what it smooths), the demand classes, and a SKU without sales, which gets no rate at all."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from assistant.planning.forecast import (
    NO_SALES,
    TSB_ALPHA_PROBABILITY,
    croston,
    days_of_cover,
    demand_class,
    demands_and_intervals,
    forecast_series,
    sba,
    ses,
    smooth,
    tsb,
)
from assistant.planning.history import daily_units
from domain.orders import Channel, Customer, Order, OrderLine, OrderStatus

SERIES = [0, 2, 0, 0, 4, 0]


def test_sizes_and_intervals() -> None:
    # Demands on day 1 (2 units) and day 4 (4 units): the first interval counts from the start (day -1).
    assert demands_and_intervals(SERIES) == ([2, 4], [2, 3])


def test_smoothing_starts_at_the_mean() -> None:
    # mean 3; after 2: 3 + 0.1 * (2 - 3) = 2.9; after 4: 2.9 + 0.1 * (4 - 2.9) = 3.01
    assert smooth([2, 4], 0.1) == pytest.approx(3.01)


def test_croston_by_hand() -> None:
    # sizes: 3.01 (above); intervals: mean 2.5 -> 2.5 + 0.1 * (2 - 2.5) = 2.45 -> 2.45 + 0.1 * (3 - 2.45) = 2.505
    # rate = 3.01 / 2.505 = 1.2015968...
    assert croston(SERIES, 0.1) == pytest.approx(3.01 / 2.505)
    assert croston(SERIES, 0.1) == pytest.approx(1.2015968, abs=1e-6)


def test_sba_by_hand() -> None:
    # Syntetos & Boylan: Croston's rate times (1 - alpha / 2) = 0.95 * 1.2015968 = 1.1415170
    assert sba(SERIES, 0.1) == pytest.approx(0.95 * 3.01 / 2.505)
    assert sba(SERIES, 0.1) == pytest.approx(1.1415170, abs=1e-6)


def test_tsb_by_hand() -> None:
    # Probability of a demand, smoothed every day from the mean 1/3:
    #   day 0 (no): 1/3 - 0.1 * 1/3 = 0.3       day 1 (yes): 0.3 + 0.1 * 0.7 = 0.37
    #   day 2 (no): 0.37 * 0.9 = 0.333          day 3 (no): 0.333 * 0.9 = 0.2997
    #   day 4 (yes): 0.2997 + 0.1 * 0.7003 = 0.36973   day 5 (no): 0.36973 * 0.9 = 0.332757
    # size: 3.01 (smoothed on demand days, as Croston's); rate = 0.332757 * 3.01 = 1.00159857
    assert tsb(SERIES, 0.1, 0.1) == pytest.approx(0.332757 * 3.01)
    assert tsb(SERIES, 0.1, 0.1) == pytest.approx(1.0015986, abs=1e-6)


def test_ses_by_hand() -> None:
    # from the mean 1.0: 0.9, 1.01, 0.909, 0.8181, 0.8181 + 0.1 * 3.1819 = 1.13629, 1.13629 * 0.9 = 1.022661
    assert ses(SERIES, 0.1) == pytest.approx(1.022661)


def test_tsb_decays_after_the_last_sale_and_croston_does_not() -> None:
    # Croston only moves on demand days: thirty quiet days after the last sale leave its rate where it was.
    # TSB lowers the probability every quiet day (obsolescence, Teunter, Syntetos & Babai 2011).
    quiet = [*SERIES, *([0] * 30)]
    assert croston(quiet, 0.1) == pytest.approx(croston(SERIES, 0.1))
    assert tsb(quiet, 0.1, 0.1) < 0.5 * tsb(SERIES, 0.1, 0.1)


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        ([1, 2, 1, 1, 2, 1, 1], "smooth"),  # a sale every day (ADI 1), similar sizes (CV^2 0.06)
        ([1, 9, 1, 9], "erratic"),  # every day, sizes 1 and 9: mean 5, variance 16, CV^2 0.64
        (SERIES, "intermittent"),  # ADI 2.5, sizes 2 and 4: CV^2 1/9
        ([0, 0, 10, 0, 0, 1], "lumpy"),  # ADI 3, sizes 10 and 1: mean 5.5, variance 20.25, CV^2 0.67
    ],
)
def test_demand_classes(series: list[int], expected: str) -> None:
    assert demand_class(series) == expected


def test_the_forecast_of_a_series() -> None:
    f = forecast_series(SERIES, sku="BV-TENT-0001", warehouse="CPT")
    assert f is not None
    assert f.method == "tsb"  # intermittent, with the probability's own constant
    assert f.per_day == pytest.approx(tsb(SERIES, 0.1, TSB_ALPHA_PROBABILITY))
    # daily units 0,2,0,0,4,0: mean 1, squared deviations 1+1+1+1+9+1 = 14, sample variance 14/5 = 2.8
    assert f.spread_per_day == pytest.approx(2.8**0.5)
    assert (f.units_90d, f.sales_days, f.history_days) == (6, 2, 6)
    smooth_one = forecast_series([1, 2, 1, 1, 2, 1, 1])
    assert smooth_one is not None and smooth_one.method == "ses"
    assert forecast_series(SERIES, method="sba") is not None


def test_no_sales_is_no_forecast() -> None:
    assert forecast_series([0] * 90) is None
    assert forecast_series([]) is None
    assert NO_SALES == "no sales in 90 days"
    assert days_of_cover(10, 0.0) is None
    assert days_of_cover(10, 0.5) == 20.0
    assert days_of_cover(-3, 0.5) == 0.0


def _order(number: int, at: datetime, sku: str, qty: int, warehouse: str = "JHB", status: str = "delivered") -> Order:
    return Order(
        number=number,
        channel=Channel.webshop,
        status=OrderStatus(status),
        warehouse=warehouse,
        customer=Customer(name="Test"),
        lines=[OrderLine(sku=sku, title=sku, quantity=qty, unit_price_cents=100)],
        subtotal_cents=0,
        vat_cents=0,
        total_cents=0,
        created_at=at,
    )


def test_daily_units_per_sast_day_without_cancelled_orders() -> None:
    today = date(2026, 3, 10)
    orders = [
        _order(1, datetime(2026, 3, 7, 21, 0, tzinfo=UTC), "BV-TENT-0001", 2),  # 23:00 SAST on the 7th
        _order(2, datetime(2026, 3, 7, 22, 30, tzinfo=UTC), "BV-TENT-0001", 1),  # 00:30 SAST on the 8th
        _order(3, datetime(2026, 3, 9, 8, 0, tzinfo=UTC), "BV-TENT-0001", 5, status="cancelled"),
        _order(4, datetime(2026, 3, 10, 8, 0, tzinfo=UTC), "BV-TENT-0001", 4, warehouse="CPT"),
        _order(5, datetime(2025, 11, 1, 8, 0, tzinfo=UTC), "BV-TENT-0001", 9),  # older than 90 days
    ]
    series, days = daily_units(orders, today)
    assert days == 4  # the history starts at its first order (the 7th), not 90 days back
    assert series == {("BV-TENT-0001", "JHB"): [2, 1, 0, 0], ("BV-TENT-0001", "CPT"): [0, 0, 0, 4]}
    assert daily_units([], today) == ({}, 0)
