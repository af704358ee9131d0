"""Demand forecasts for intermittent demand: most SKUs sell a few units on some days and none on others.

The classic methods, each a few lines (statsforecast implements them too, but pulls numba, llvmlite, scipy and
statsmodels, ~580 MB, and takes 1.5 s to import; the formulas need neither):

- Croston (1972), "Forecasting and stock control for intermittent demands", Operational Research Quarterly
  23(3):289-303. Smooth the non-zero demand sizes z and the intervals p between demands separately, each with
  simple exponential smoothing updated only on days with a demand; the rate per day is z / p.
- SBA: Syntetos & Boylan (2005), "The accuracy of intermittent demand estimates", International Journal of
  Forecasting 21(2):303-314. Croston's z / p is biased upwards; multiplying it by (1 - alpha / 2) removes most
  of the bias.
- TSB: Teunter, Syntetos & Babai (2011), "Intermittent demand: linking forecasting to inventory obsolescence",
  European Journal of Operational Research 214(3):606-615. Smooth the probability of a demand every day (so a
  SKU that stopped selling decays towards zero) and the demand size on demand days; the rate is their product.
- The demand classes: Syntetos, Boylan & Croston (2005), "On the categorization of demand patterns", Journal of
  the Operational Research Society 56(5):495-503: ADI (average days between demands) 1.32 and CV^2 (squared
  coefficient of variation of the demand sizes) 0.49 as cut-offs.

Which one the plans use (`choose_method`): SES for smooth demand (a sale on most days), TSB for the rest. Croston
and SBA update only on days with a sale, so the days since the last sale never count: with the few sales a SKU
and warehouse has in 90 days (often 1-5), the interval estimate misses its open end and the rate comes out two to
three times too high (benchmarks/forecast_backtest.py --methods: MASE 1.96 for SBA, 0.89 for TSB on the demo
history). That is the obsolescence TSB was made for; Croston and SBA stay here for comparison.

Every smoother starts at the mean of what it smooths over the window (sizes, intervals or occurrences, the
`init="mean"` of R's tsintermittent), not at the first value, so that one early sale or a window that starts
just before a sale does not set the level for weeks.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel

Method = Literal["ses", "croston", "sba", "tsb"]
DemandClass = Literal["smooth", "erratic", "intermittent", "lumpy"]

ALPHA = 0.1  # Croston's and SBA's smoothing constant (0.1 is the customary value, as in statsforecast's)
TSB_ALPHA_SIZE = 0.1
# The probability is smoothed every day, the size only on the few demand days: on daily data it needs the smaller
# constant (a memory of (1 - a) / a = 19 days). 0.05 of {0.02, 0.03, 0.05, 0.1} is the one that beats the naive
# 28-day mean on MASE, RMSSE and the error of the 28-day total on both backtest histories; 0.1 scores a better
# MASE only by decaying sparse SKUs to almost nothing, which MASE (an absolute error) rewards.
TSB_ALPHA_PROBABILITY = 0.05
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
NO_SALES = "no sales in 90 days"


class Forecast(BaseModel):
    """The forecast demand of one SKU in one warehouse."""

    sku: str
    warehouse: str
    method: str
    per_day: float  # expected units a day
    spread_per_day: float  # standard deviation of the units of one day over the window
    units_90d: int  # units sold in the window (up to 90 days)
    sales_days: int  # days with at least one unit sold
    history_days: int  # days the window covers


def variance(values: Sequence[float], *, sample: bool) -> float:
    """In floats: statistics.variance works in exact fractions, which made it most of a plan's time."""
    n = len(values)
    if n < (2 if sample else 1):
        return 0.0
    mean = sum(values) / n
    return sum((v - mean) ** 2 for v in values) / (n - 1 if sample else n)


def smooth(values: Sequence[float], alpha: float) -> float:
    """Simple exponential smoothing: the level after the last value, started at the mean of the values."""
    level = statistics.fmean(values)
    for value in values:
        level += alpha * (value - level)
    return level


def demands_and_intervals(daily_units: Sequence[int]) -> tuple[list[int], list[int]]:
    """The non-zero demand sizes and the days since the previous demand (the first counted from the start)."""
    sizes, intervals, last = [], [], -1
    for day, units in enumerate(daily_units):
        if units > 0:
            sizes.append(units)
            intervals.append(day - last)
            last = day
    return sizes, intervals


def croston(daily_units: Sequence[int], alpha: float = ALPHA) -> float:
    sizes, intervals = demands_and_intervals(daily_units)
    if not sizes:
        return 0.0
    return smooth(sizes, alpha) / smooth(intervals, alpha)


def sba(daily_units: Sequence[int], alpha: float = ALPHA) -> float:
    return (1 - alpha / 2) * croston(daily_units, alpha)


def tsb(
    daily_units: Sequence[int], alpha_size: float = TSB_ALPHA_SIZE, alpha_probability: float = TSB_ALPHA_PROBABILITY
) -> float:
    sizes, _ = demands_and_intervals(daily_units)
    if not sizes:
        return 0.0
    occurred = [1.0 if units > 0 else 0.0 for units in daily_units]
    return smooth(occurred, alpha_probability) * smooth(sizes, alpha_size)


def ses(daily_units: Sequence[int], alpha: float = ALPHA) -> float:
    """Exponential smoothing of the daily units themselves: for smooth demand (a sale most days)."""
    return smooth(daily_units, alpha) if daily_units else 0.0


METHODS: dict[str, Callable[[Sequence[int]], float]] = {"ses": ses, "croston": croston, "sba": sba, "tsb": tsb}


def demand_class(daily_units: Sequence[int]) -> DemandClass:
    """Syntetos, Boylan & Croston's class of a series with at least one demand."""
    sizes, intervals = demands_and_intervals(daily_units)
    adi = statistics.fmean(intervals)
    mean = statistics.fmean(sizes)
    cv2 = variance(sizes, sample=False) / (mean * mean)
    if adi < ADI_CUTOFF:
        return "smooth" if cv2 < CV2_CUTOFF else "erratic"
    return "intermittent" if cv2 < CV2_CUTOFF else "lumpy"


def choose_method(daily_units: Sequence[int]) -> Method:
    """SES for smooth demand, TSB for intermittent, lumpy and erratic demand (see the module docstring)."""
    return "ses" if demand_class(daily_units) == "smooth" else "tsb"


def forecast_series(
    daily_units: Sequence[int], *, sku: str = "", warehouse: str = "", method: Method | None = None
) -> Forecast | None:
    """The forecast of one daily series (oldest day first, today last); None when nothing sold in it: a SKU with
    no sales gets no rate at all (NO_SALES), never a made-up one. `method`: one of METHODS, or chosen by class."""
    units = [u if u > 0 else 0 for u in daily_units]
    total = sum(units)
    if total == 0:
        return None
    chosen = method or choose_method(units)
    per_day = METHODS[chosen](units)
    return Forecast(
        sku=sku,
        warehouse=warehouse,
        method=chosen,
        per_day=per_day,
        spread_per_day=math.sqrt(variance(units, sample=True)),
        units_90d=total,
        sales_days=sum(1 for u in units if u > 0),
        history_days=len(units),
    )


def days_of_cover(available: int, per_day: float) -> float | None:
    """Days the available units last at the forecast rate; None when there is no rate (no sales)."""
    if per_day <= 0 or math.isnan(per_day):
        return None
    return max(0, available) / per_day
