"""Supplier lead times: the days from a purchase order to the goods at the warehouse, measured from the import
shipments (`ordered_on` -> `arrived_on`), per origin country, supplier and mode of transport.

Where a supplier has no arrived shipment in that mode, a documented default stands in (`source="default"`):
door-to-door figures for a South African importer, as forwarders quote them:

| origin | mode | mean | std dev | made of |
|---|---|---|---|---|
| China | sea | 42 d | 5 d | ~2 d booking, 25-30 d Ningbo/Shenzhen -> Durban, ~5 d port and customs, ~3 d inland |
| Europe | sea | 35 d | 4 d | ~2 d booking, 20-24 d Genoa/Le Havre -> Durban, ~5 d port and customs, ~3 d inland |
| any | air | 7 d | 2 d | 2-3 d flight and handling, 2-3 d customs at O.R. Tambo, 1-2 d delivery |
| South Africa | road | 5 d | 2 d | a local supplier's delivery |
| other | sea | 45 d | 10 d | no better estimate: wide on purpose |

One arrived shipment gives a measured mean but no spread: its std dev is the default's.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel

from domain.trade import EU_COUNTRIES, Shipment, ShipmentStatus

Source = Literal["measured", "default"]
DEFAULT_LEAD_DAYS: dict[tuple[str, str], tuple[float, float]] = {
    ("CN", "sea"): (42.0, 5.0),
    ("EU", "sea"): (35.0, 4.0),
    ("*", "air"): (7.0, 2.0),
    ("ZA", "road"): (5.0, 2.0),
    ("*", "sea"): (45.0, 10.0),
}
ARRIVED = frozenset({ShipmentStatus.cleared, ShipmentStatus.delivered})


class LeadTime(BaseModel):
    origin_country: str
    supplier: str
    mode: str
    days_mean: float
    days_std: float
    samples: int
    source: Source


def region(origin_country: str) -> str:
    code = origin_country.upper()
    return "EU" if code in EU_COUNTRIES else code if code in ("CN", "ZA") else "*"


def usual_mode(origin_country: str) -> str:
    return "road" if origin_country.upper() == "ZA" else "sea"


def default_lead_time(origin_country: str, supplier: str = "", mode: str | None = None) -> LeadTime:
    mode = mode or usual_mode(origin_country)
    key = (region(origin_country), mode)
    mean, std = DEFAULT_LEAD_DAYS.get(key) or DEFAULT_LEAD_DAYS.get(("*", mode)) or DEFAULT_LEAD_DAYS[("*", "sea")]
    return LeadTime(
        origin_country=origin_country.upper(),
        supplier=supplier,
        mode=mode,
        days_mean=mean,
        days_std=std,
        samples=0,
        source="default",
    )


def arrived(shipment: Shipment) -> bool:
    return shipment.arrived_on is not None and shipment.status in ARRIVED


class LeadTimes:
    """The lead times measured from a set of shipments, and the one that applies to a SKU."""

    def __init__(self, shipments: Iterable[Shipment]) -> None:
        self.shipments = list(shipments)
        samples: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        self._sku_modes: dict[str, Counter[str]] = defaultdict(Counter)
        self._supplier_modes: dict[str, Counter[str]] = defaultdict(Counter)
        for s in self.shipments:
            self._supplier_modes[s.supplier][s.mode] += 1
            for line in s.lines:
                self._sku_modes[line.sku][s.mode] += 1
            if arrived(s) and s.ordered_on is not None and s.arrived_on is not None:
                days = (s.arrived_on - s.ordered_on).days
                if days >= 0:
                    samples[(s.origin_country.upper(), s.supplier, s.mode)].append(days)
        self.measured: dict[tuple[str, str, str], LeadTime] = {}
        for (origin, supplier, mode), days_list in sorted(samples.items()):
            default = default_lead_time(origin, supplier, mode)
            self.measured[(origin, supplier, mode)] = LeadTime(
                origin_country=origin,
                supplier=supplier,
                mode=mode,
                days_mean=statistics.fmean(days_list),
                days_std=statistics.stdev(days_list) if len(days_list) > 1 else default.days_std,
                samples=len(days_list),
                source="measured",
            )

    def mode_for(self, sku: str, supplier: str, origin_country: str) -> str:
        """How the SKU usually travels: its own shipments' most common mode, else its supplier's, else sea (road
        from a South African supplier). Ties go to the cheaper mode (sea before air)."""
        for counts in (self._sku_modes.get(sku), self._supplier_modes.get(supplier)):
            if counts:
                return sorted(counts.items(), key=lambda item: (-item[1], item[0] != "sea", item[0]))[0][0]
        return usual_mode(origin_country)

    def for_sku(self, sku: str, supplier: str, origin_country: str) -> LeadTime:
        mode = self.mode_for(sku, supplier, origin_country)
        measured = self.measured.get((origin_country.upper(), supplier, mode))
        return measured or default_lead_time(origin_country, supplier, mode)


def lead_times(shipments: Iterable[Shipment]) -> list[LeadTime]:
    """The measured lead times, one per origin country, supplier and mode with an arrived shipment."""
    return list(LeadTimes(shipments).measured.values())


def lead_time_for(sku: str, supplier: str, origin_country: str, shipments: Sequence[Shipment] = ()) -> LeadTime:
    """The lead time of one SKU of `supplier`: measured from `shipments` where they allow, else the default."""
    return LeadTimes(shipments).for_sku(sku, supplier, origin_country)


def inbound_units(shipments: Iterable[Shipment]) -> dict[tuple[str, str], int]:
    """Units on their way per (sku, destination warehouse): shipments that have not arrived."""
    inbound: dict[tuple[str, str], int] = defaultdict(int)
    for s in shipments:
        if not arrived(s) and s.status not in ARRIVED:
            for line in s.lines:
                inbound[(line.sku, s.destination_warehouse)] += line.quantity
    return dict(inbound)
