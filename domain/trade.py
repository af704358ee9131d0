"""International trade: the tariff table, import shipments and the landed cost of goods brought into South Africa.

Landed cost follows SARS practice: customs value is the FOB value in rand; import VAT is 15% of the
added tax value (customs value + 10% + duty).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import BaseModel, Field

from domain.errors import IllegalTransition, InvalidInput, NotFound
from domain.store import Store, utcnow

IMPORT_VAT_RATE = Decimal("0.15")
ATV_UPLIFT = Decimal("0.10")
EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)


class TariffHeading(BaseModel):
    hs_code: str
    description: str
    general_rate: Decimal = Field(description="Duty as a fraction of customs value, e.g. 0.45")
    eu_rate: Decimal
    keywords: tuple[str, ...] = ()


def _heading(hs: str, description: str, general: str, eu: str, *keywords: str) -> TariffHeading:
    return TariffHeading(
        hs_code=hs,
        description=description,
        general_rate=Decimal(general),
        eu_rate=Decimal(eu),
        keywords=keywords,
    )


# Indicative ad valorem rates of Schedule 1 Part 1 of the SARS tariff book; EU rates under the EU-SADC EPA.
TARIFFS: dict[str, TariffHeading] = {
    t.hs_code: t
    for t in [
        _heading(
            "6109.10",
            "T-shirts, singlets and vests of cotton, knitted",
            "0.45",
            "0",
            "t-shirt",
            "tshirt",
            "tee",
            "singlet",
            "vest",
            "cotton shirt",
        ),
        _heading(
            "6110.20",
            "Jerseys, pullovers and cardigans of cotton, knitted",
            "0.45",
            "0",
            "jersey",
            "pullover",
            "cardigan",
            "sweater",
            "hoodie",
        ),
        _heading(
            "6201.40",
            "Men's anoraks, wind-jackets and similar of man-made fibres",
            "0.45",
            "0",
            "jacket",
            "anorak",
            "windbreaker",
            "rain jacket",
            "raincoat",
        ),
        _heading(
            "6403.91",
            "Footwear with leather uppers, covering the ankle",
            "0.30",
            "0.15",
            "boot",
            "hiking boot",
            "leather shoe",
            "footwear",
            "shoe",
        ),
        _heading(
            "6404.11",
            "Sports footwear with textile uppers",
            "0.30",
            "0.15",
            "sneaker",
            "trainer",
            "running shoe",
            "sports shoe",
            "trail shoe",
        ),
        _heading(
            "4202.21",
            "Handbags with outer surface of leather",
            "0.20",
            "0",
            "handbag",
            "leather bag",
            "purse",
        ),
        _heading(
            "4202.92",
            "Bags with outer surface of textile materials (backpacks, toiletry bags)",
            "0.20",
            "0",
            "backpack",
            "rucksack",
            "daypack",
            "toiletry bag",
            "cosmetic bag",
            "duffel",
        ),
        _heading("6306.22", "Tents of synthetic fibres", "0.40", "0", "tent", "shelter"),
        _heading("9404.40", "Quilts, eiderdowns and sleeping bags", "0.20", "0", "sleeping bag", "quilt"),
        _heading(
            "8513.10",
            "Portable electric lamps (torches, headlamps)",
            "0.20",
            "0",
            "headlamp",
            "torch",
            "flashlight",
            "lantern",
            "lamp",
        ),
        _heading(
            "3304.99",
            "Beauty, make-up and skin-care preparations",
            "0.20",
            "0",
            "serum",
            "moisturiser",
            "moisturizer",
            "cream",
            "sunscreen",
            "skincare",
            "skin care",
            "face mask",
            "cosmetic",
            "lotion",
        ),
        _heading("3304.10", "Lip make-up preparations", "0.20", "0", "lipstick", "lip balm", "lip gloss"),
        _heading("3305.90", "Hair preparations", "0.20", "0", "hair oil", "hair", "conditioner", "shampoo"),
        _heading("3303.00", "Perfumes and toilet waters", "0.20", "0", "perfume", "fragrance", "eau de"),
        _heading("3401.11", "Soap for toilet use", "0.20", "0", "soap"),
        _heading(
            "9617.00",
            "Vacuum flasks and other vacuum vessels",
            "0.20",
            "0",
            "flask",
            "vacuum bottle",
            "thermos",
            "bottle",
        ),
        _heading(
            "3924.90",
            "Household articles of plastics (cooler boxes, food containers)",
            "0.20",
            "0",
            "cooler box",
            "cooler",
            "cool box",
            "lunch box",
        ),
        _heading(
            "7323.99",
            "Household articles of iron or steel (braai grids, potjie pots)",
            "0.30",
            "0",
            "braai",
            "potjie",
            "skottel",
            "grid",
            "pot",
        ),
        _heading("8471.30", "Portable computers (laptops)", "0", "0", "laptop", "notebook computer", "computer"),
        _heading("8517.13", "Smartphones", "0", "0", "smartphone", "phone", "cellphone", "mobile phone"),
    ]
}

# Demo exchange rates (rand per unit); production would read these from a rates feed.
FX_TO_ZAR: dict[str, Decimal] = {
    "ZAR": Decimal("1"),
    "USD": Decimal("18.20"),
    "EUR": Decimal("19.70"),
    "GBP": Decimal("23.10"),
    "CNY": Decimal("2.52"),
}


def normalise_hs(hs_code: str) -> str:
    digits = re.sub(r"\D", "", hs_code)
    if len(digits) < 4:
        raise InvalidInput(f"{hs_code!r} is not an HS code; give at least 4 digits, e.g. 6109.10")
    return f"{digits[:4]}.{digits[4:6]}" if len(digits) > 4 else digits


def lookup_tariff(hs_code: str) -> TariffHeading:
    """The heading for an HS code; a 4-digit code matches when it names exactly one heading."""
    code = normalise_hs(hs_code)
    if code in TARIFFS:
        return TARIFFS[code]
    prefix = code[:4]
    matches = [t for hs, t in TARIFFS.items() if hs.startswith(prefix)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        options = ", ".join(t.hs_code for t in matches)
        raise InvalidInput(f"HS heading {prefix} has several subheadings in the table: {options}; name one")
    raise NotFound(
        f"HS code {hs_code} is not in the tariff table; known headings: {', '.join(TARIFFS)}",
        hs_code=hs_code,
    )


def find_tariffs(text: str) -> list[TariffHeading]:
    """Headings whose keywords occur in `text`, the most specific (longest keyword) first."""
    lowered = text.lower()
    scored = []
    for heading in TARIFFS.values():
        hits = [k for k in heading.keywords if re.search(rf"\b{re.escape(k)}", lowered)]
        if hits:
            scored.append((max(len(k) for k in hits), heading))
    return [heading for _, heading in sorted(scored, key=lambda item: -item[0])]


def duty_rate(heading: TariffHeading, origin_country: str) -> Decimal:
    return heading.eu_rate if origin_country.upper() in EU_COUNTRIES else heading.general_rate


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class LandedCost(BaseModel):
    hs_code: str
    description: str
    origin_country: str
    currency: str
    fob_value: Decimal
    fx_rate: Decimal
    customs_value_zar: Decimal
    duty_rate: Decimal
    duty_zar: Decimal
    added_tax_value_zar: Decimal
    import_vat_zar: Decimal
    freight_zar: Decimal
    insurance_zar: Decimal
    landed_cost_zar: Decimal
    quantity: int
    landed_cost_per_unit_zar: Decimal


def landed_cost(
    fob_value: Decimal | float | str,
    currency: str,
    hs_code: str,
    origin_country: str,
    *,
    freight_zar: Decimal | float | str = 0,
    insurance_zar: Decimal | float | str = 0,
    quantity: int = 1,
) -> LandedCost:
    fob, freight, insurance = Decimal(str(fob_value)), Decimal(str(freight_zar)), Decimal(str(insurance_zar))
    if fob <= 0:
        raise InvalidInput("the FOB value must be positive")
    if freight < 0 or insurance < 0:
        raise InvalidInput("freight and insurance cannot be negative")
    if quantity <= 0:
        raise InvalidInput("the quantity must be at least 1")
    currency = currency.upper()
    if currency not in FX_TO_ZAR:
        raise InvalidInput(f"no exchange rate for {currency}; supported: {', '.join(FX_TO_ZAR)}")
    heading = lookup_tariff(hs_code)
    rate = duty_rate(heading, origin_country)
    customs_value = _money(fob * FX_TO_ZAR[currency])
    duty = _money(customs_value * rate)
    atv = _money(customs_value * (1 + ATV_UPLIFT) + duty)
    vat = _money(atv * IMPORT_VAT_RATE)
    total = customs_value + freight + insurance + duty + vat
    return LandedCost(
        hs_code=heading.hs_code,
        description=heading.description,
        origin_country=origin_country.upper(),
        currency=currency,
        fob_value=fob,
        fx_rate=FX_TO_ZAR[currency],
        customs_value_zar=customs_value,
        duty_rate=rate,
        duty_zar=duty,
        added_tax_value_zar=atv,
        import_vat_zar=vat,
        freight_zar=freight,
        insurance_zar=insurance,
        landed_cost_zar=_money(total),
        quantity=quantity,
        landed_cost_per_unit_zar=_money(total / quantity),
    )


# Shipments
class ShipmentStatus(StrEnum):
    booked = "booked"
    in_transit = "in_transit"
    at_customs = "at_customs"
    cleared = "cleared"
    delivered = "delivered"


SHIPMENT_FLOW = list(ShipmentStatus)


class Incoterm(StrEnum):
    EXW = "EXW"
    FOB = "FOB"
    CIF = "CIF"
    DAP = "DAP"
    DDP = "DDP"


class ShipmentLine(BaseModel):
    sku: str
    quantity: int = Field(gt=0)
    hs_code: str


class Shipment(BaseModel):
    id: str = Field(default_factory=lambda: f"SHP-{uuid.uuid4().hex[:8].upper()}")
    supplier: str
    origin_country: str
    origin_port: str
    destination_port: str
    destination_warehouse: str
    incoterm: Incoterm
    mode: str = "sea"
    status: ShipmentStatus = ShipmentStatus.booked
    eta: date
    # When the purchase order went to the supplier, and when the goods reached the destination warehouse (only
    # once cleared or delivered): the measured lead time of assistant.planning is the days between the two.
    ordered_on: date | None = None
    arrived_on: date | None = None
    fob_value: Decimal
    currency: str
    lines: list[ShipmentLine]
    clearing_agent: str = ""
    customs_reference: str = ""
    updated_at: datetime = Field(default_factory=utcnow)


class ShipmentRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _col(self, org_id: str) -> firestore.CollectionReference:
        return self.store.col(org_id, "shipments")

    @staticmethod
    def _to_doc(shipment: Shipment) -> dict[str, Any]:
        data = shipment.model_dump(mode="json")
        data["updated_at"] = shipment.updated_at
        return data

    def upsert(self, org_id: str, shipment: Shipment) -> Shipment:
        for line in shipment.lines:
            lookup_tariff(line.hs_code)
        self._col(org_id).document(shipment.id).set(self._to_doc(shipment))
        return shipment

    def get(self, org_id: str, shipment_id: str) -> Shipment:
        snap = self._col(org_id).document(shipment_id.strip().upper()).get()
        if not snap.exists:
            raise NotFound(f"there is no shipment {shipment_id!r}")
        return Shipment(**(snap.to_dict() or {}))

    def list(self, org_id: str, status: ShipmentStatus | str | None = None) -> list[Shipment]:
        query: firestore.CollectionReference | firestore.Query = self._col(org_id)
        if status:
            query = query.where(filter=FieldFilter("status", "==", ShipmentStatus(status).value))
        return sorted((Shipment(**(s.to_dict() or {})) for s in query.stream()), key=lambda s: (s.eta, s.id))

    def advance(self, org_id: str, shipment_id: str, status: ShipmentStatus | str) -> Shipment:
        """Move a shipment one step along booked -> in_transit -> at_customs -> cleared -> delivered."""
        target = ShipmentStatus(status)
        ref = self._col(org_id).document(shipment_id.strip().upper())

        def apply(tx: firestore.Transaction) -> dict[str, Any]:
            snap = ref.get(transaction=tx)
            if not snap.exists:
                raise NotFound(f"there is no shipment {shipment_id!r}")
            shipment = Shipment(**(snap.to_dict() or {}))
            if SHIPMENT_FLOW.index(target) != SHIPMENT_FLOW.index(shipment.status) + 1:
                raise IllegalTransition(
                    f"shipment {shipment.id} is {shipment.status.value}; it can only move to the next step "
                    f"of {' -> '.join(s.value for s in SHIPMENT_FLOW)}"
                )
            shipment = shipment.model_copy(update={"status": target, "updated_at": utcnow()})
            tx.set(ref, self._to_doc(shipment))
            return shipment.model_dump(mode="json")

        return Shipment(**self.store.runner.run(apply, lock=[ref.path]))
