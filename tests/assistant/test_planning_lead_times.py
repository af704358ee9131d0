"""Lead times measured from shipments (ordered -> arrived), the documented defaults where there are none, and the
units still on their way."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from assistant.planning.lead_times import (
    DEFAULT_LEAD_DAYS,
    LeadTimes,
    default_lead_time,
    inbound_units,
    lead_time_for,
    lead_times,
)
from domain.trade import Incoterm, Shipment, ShipmentLine, ShipmentStatus

DAY = date(2026, 3, 1)


def shipment(
    supplier: str,
    origin: str,
    days: int | None,
    *,
    mode: str = "sea",
    sku: str = "BV-TENT-0001",
    status: ShipmentStatus = ShipmentStatus.delivered,
    to: str = "DBN",
    quantity: int = 100,
) -> Shipment:
    arrived = status in (ShipmentStatus.cleared, ShipmentStatus.delivered)
    return Shipment(
        supplier=supplier,
        origin_country=origin,
        origin_port="Ningbo",
        destination_port="Durban",
        destination_warehouse=to,
        incoterm=Incoterm.FOB,
        mode=mode,
        status=status,
        eta=DAY,
        ordered_on=DAY - timedelta(days=days or 40),
        arrived_on=DAY if arrived else None,
        fob_value=Decimal(100),
        currency="USD",
        lines=[ShipmentLine(sku=sku, quantity=quantity, hs_code="6306.22")],
    )


def test_measured_per_supplier_and_mode() -> None:
    shipments = [
        shipment("Ningbo Outdoor Co", "CN", 40),
        shipment("Ningbo Outdoor Co", "CN", 44),
        shipment("Calzature Dolomiti", "IT", 6, mode="air", sku="BV-BOOT-0001"),
        shipment("Ningbo Outdoor Co", "CN", 90, status=ShipmentStatus.in_transit),  # not arrived: not a sample
    ]
    found = {(lt.supplier, lt.mode): lt for lt in lead_times(shipments)}
    assert set(found) == {("Ningbo Outdoor Co", "sea"), ("Calzature Dolomiti", "air")}
    ningbo = found[("Ningbo Outdoor Co", "sea")]
    # 40 and 44 days: mean 42, sample standard deviation sqrt(((-2)^2 + 2^2) / 1) = 2.828
    assert (ningbo.days_mean, ningbo.samples, ningbo.source) == (42.0, 2, "measured")
    assert ningbo.days_std == pytest.approx(8**0.5)
    boots = found[("Calzature Dolomiti", "air")]
    # One sample: its mean, and the default's spread (air: 2 days).
    assert (boots.days_mean, boots.days_std, boots.samples) == (6.0, 2.0, 1)


def test_a_sku_gets_its_usual_mode_and_its_supplier_measurement() -> None:
    shipments = [shipment("Calzature Dolomiti", "IT", 6, mode="air", sku="BV-BOOT-0001")]
    boot = lead_time_for("BV-BOOT-0001", "Calzature Dolomiti", "IT", shipments)
    assert (boot.mode, boot.days_mean, boot.source) == ("air", 6.0, "measured")
    # Another SKU of the same supplier travels as the supplier's shipments do.
    other = lead_time_for("BV-BOOT-0002", "Calzature Dolomiti", "IT", shipments)
    assert (other.mode, other.days_mean) == ("air", 6.0)


def test_defaults_where_nothing_was_measured() -> None:
    tent = lead_time_for("BV-TENT-0009", "Unknown Co", "CN")
    assert (tent.mode, tent.days_mean, tent.days_std, tent.samples, tent.source) == ("sea", 42.0, 5.0, 0, "default")
    assert default_lead_time("FR").days_mean == DEFAULT_LEAD_DAYS[("EU", "sea")][0] == 35.0
    assert default_lead_time("ZA").mode == "road" and default_lead_time("ZA").days_mean == 5.0
    assert default_lead_time("US").days_mean == 45.0  # no better estimate: the wide default
    assert default_lead_time("CN", mode="air").days_mean == 7.0
    # Measured for sea does not stand in for air: a SKU that travels by air with no air history gets air's default.
    book = LeadTimes(
        [
            shipment("Ningbo Outdoor Co", "CN", 40),
            shipment("Ningbo Outdoor Co", "CN", 5, mode="air", status=ShipmentStatus.booked, sku="BV-LAMP-0001"),
        ]
    )
    lamp = book.for_sku("BV-LAMP-0001", "Ningbo Outdoor Co", "CN")
    assert (lamp.mode, lamp.source, lamp.days_mean) == ("air", "default", 7.0)


def test_inbound_units_are_the_shipments_not_arrived() -> None:
    shipments = [
        shipment("Ningbo Outdoor Co", "CN", 40, status=ShipmentStatus.in_transit, quantity=300),
        shipment("Ningbo Outdoor Co", "CN", 40, status=ShipmentStatus.at_customs, quantity=200),
        shipment("Ningbo Outdoor Co", "CN", 40, status=ShipmentStatus.booked, to="JHB", quantity=100),
        shipment("Ningbo Outdoor Co", "CN", 40, status=ShipmentStatus.cleared, quantity=50),  # arrived
        shipment("Ningbo Outdoor Co", "CN", 40, status=ShipmentStatus.delivered, quantity=70),  # arrived
    ]
    assert inbound_units(shipments) == {("BV-TENT-0001", "DBN"): 500, ("BV-TENT-0001", "JHB"): 100}
