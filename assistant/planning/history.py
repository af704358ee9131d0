"""Demand history: the units ordered per day, per SKU and fulfilment warehouse, over the last 90 days.

A day is a South African calendar day (SAST), the merchant's. Every order counts except cancelled ones (a
returned order was still demand). The window ends today (so far) and starts at the first order in it: an
organisation that has sold for 20 days has a 20-day history, not 70 days of made-up zeros.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from domain.credits import SAST
from domain.orders import Order, OrderStatus

WINDOW_DAYS = 90
Key = tuple[str, str]  # (sku, warehouse)


def sast_day(at: datetime) -> date:
    return at.astimezone(SAST).date()


def window_start(today: date, days: int = WINDOW_DAYS) -> date:
    return today - timedelta(days=days - 1)


def daily_units(orders: Iterable[Order], today: date, days: int = WINDOW_DAYS) -> tuple[dict[Key, list[int]], int]:
    """({(sku, warehouse): units per day, oldest first}, the number of days the history covers)."""
    start = window_start(today, days)
    placed: list[tuple[int, Order]] = []
    for order in orders:
        index = (sast_day(order.created_at) - start).days
        if 0 <= index < days and order.status != OrderStatus.cancelled:
            placed.append((index, order))
    if not placed:
        return {}, 0
    first = min(index for index, _ in placed)
    length = days - first
    series: dict[Key, list[int]] = {}
    for index, order in placed:
        for line in order.lines:
            row = series.get((line.sku, order.warehouse))
            if row is None:
                row = series[(line.sku, order.warehouse)] = [0] * length
            row[index - first] += line.quantity
    return series, length
