from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.errors import IllegalTransition, InvalidInput, NotFound
from domain.trade import Shipment, ShipmentLine, ShipmentStatus, find_tariffs, landed_cost, lookup_tariff
from tests.domain.fixtures import ORG, make_org, repos


def test_tariff_lookup_accepts_common_spellings():
    assert lookup_tariff("6109.10").general_rate == Decimal("0.45")
    assert lookup_tariff("610910").hs_code == "6109.10"
    assert lookup_tariff("6109.10.00").hs_code == "6109.10"
    assert lookup_tariff("8517").hs_code == "8517.13"
    with pytest.raises(NotFound, match="not in the tariff table"):
        lookup_tariff("0101.21")
    with pytest.raises(InvalidInput):
        lookup_tariff("12")
    with pytest.raises(InvalidInput, match="several subheadings"):
        lookup_tariff("3304")


def test_find_tariffs_by_description():
    assert find_tariffs("200 cotton T-shirts")[0].hs_code == "6109.10"
    assert find_tariffs("hiking boots from Italy")[0].hs_code == "6403.91"
    assert find_tariffs("a lip balm")[0].hs_code == "3304.10"
    assert find_tariffs("garden gnomes") == []


def test_landed_cost_follows_sars_formula():
    # 200 cotton T-shirts at USD 3.50 FOB from China: customs value R12,740.00, duty 45% = R5,733.00,
    # ATV = 12,740 x 1.10 + 5,733 = R19,747.00, VAT 15% = R2,962.05.
    cost = landed_cost("700", "usd", "6109.10", "CN", freight_zar="1500", insurance_zar="100", quantity=200)
    assert cost.customs_value_zar == Decimal("12740.00")
    assert cost.duty_zar == Decimal("5733.00")
    assert cost.added_tax_value_zar == Decimal("19747.00")
    assert cost.import_vat_zar == Decimal("2962.05")
    assert cost.landed_cost_zar == Decimal("23035.05")
    assert cost.landed_cost_per_unit_zar == Decimal("115.18")


def test_eu_origin_uses_the_epa_rate():
    eu = landed_cost(1000, "EUR", "6403.91", "IT")
    assert eu.duty_rate == Decimal("0.15")
    assert landed_cost(1000, "EUR", "6109.10", "DE").duty_zar == Decimal("0.00")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"fob_value": 0},
        {"fob_value": 10, "currency": "XYZ"},
        {"fob_value": 10, "freight_zar": -1},
        {"fob_value": 10, "quantity": 0},
    ],
)
def test_landed_cost_bad_input(kwargs):
    args = {"fob_value": 10, "currency": "USD", "hs_code": "6109.10", "origin_country": "CN"} | kwargs
    with pytest.raises(InvalidInput):
        landed_cost(
            args.pop("fob_value"), args.pop("currency"), args.pop("hs_code"), args.pop("origin_country"), **args
        )


def test_shipments_follow_their_flow(store):
    r = repos(store)
    make_org(r, stock=0)
    shipment = Shipment(
        id="SHP-0001",
        supplier="Ningbo Outdoor Co",
        origin_country="CN",
        origin_port="Ningbo",
        destination_port="Durban",
        destination_warehouse="DBN",
        incoterm="FOB",
        eta=date(2026, 12, 20),
        fob_value=Decimal("12000"),
        currency="USD",
        lines=[ShipmentLine(sku="AC-TENT-0001", quantity=300, hs_code="6306.22")],
    )
    r.shipments.upsert(ORG, shipment)
    assert r.shipments.get(ORG, "shp-0001").status == ShipmentStatus.booked
    r.shipments.advance(ORG, "SHP-0001", "in_transit")
    with pytest.raises(IllegalTransition):
        r.shipments.advance(ORG, "SHP-0001", "delivered")
    r.shipments.advance(ORG, "SHP-0001", "at_customs")
    assert [s.id for s in r.shipments.list(ORG, status="at_customs")] == ["SHP-0001"]
    assert r.shipments.list(ORG, status="booked") == []
    with pytest.raises(NotFound):
        r.shipments.get(ORG, "SHP-404")
    bad = shipment.model_copy(update={"id": "SHP-0002", "lines": [ShipmentLine(sku="X", quantity=1, hs_code="0101")]})
    with pytest.raises(NotFound):
        r.shipments.upsert(ORG, bad)
    assert len(r.shipments.list(ORG)) == 1
