"""Demo data: two organisations with catalogues, stock, 90 days of orders, import shipments and credits.

Generated from a fixed random seed, so every machine gets the same products, orders and numbers (only the
dates follow the day of seeding). The organisation document is written last and marks a finished seed:
seeding again changes nothing, and an interrupted seed is simply redone.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from domain.catalog import Product, stock_totals
from domain.credits import DEFAULT_DAILY_QUOTA_MC, MC_PER_CREDIT, CreditsRepository
from domain.inventory import MovementKind, StockLevel, StockMovement, Warehouse, available_by_product, stock_id
from domain.orders import Channel, Customer, Order, OrderLine, OrderStatus, StatusChange, order_totals
from domain.orgs import ApiKeyRepository, Organisation, Role, User
from domain.store import BatchedWriter, Store, utcnow
from domain.trade import Incoterm, Shipment, ShipmentLine, ShipmentStatus

WAREHOUSES = [
    Warehouse(code="JHB", name="Johannesburg warehouse", city="Johannesburg", address="14 Bridal Veil Rd, Midrand"),
    Warehouse(code="CPT", name="Cape Town warehouse", city="Cape Town", address="8 Marconi Rd, Montague Gardens"),
    Warehouse(code="DBN", name="Durban warehouse", city="Durban", address="22 Josiah Gumede Rd, Pinetown"),
]


@dataclass(frozen=True)
class Line:
    """A product line of a demo catalogue: variants of it become products."""

    code: str
    category: str
    names: tuple[str, ...]
    variants: tuple[str, ...]
    price_range: tuple[int, int]  # rand, excluding VAT
    hs_code: str
    supplier: str
    origin: str
    blurb: str


@dataclass(frozen=True)
class DemoOrg:
    id: str
    name: str
    prefix: str
    lines: tuple[Line, ...]
    credits: int
    users: tuple[tuple[str, str, Role], ...]


BERGVELD = DemoOrg(
    id="bergveld",
    name="Berg & Veld Outdoor",
    prefix="BV",
    credits=1000,
    users=(
        ("thandi", "Thandi Nkosi", Role.admin),
        ("pieter", "Pieter van Wyk", Role.merchant),
        ("ayesha", "Ayesha Patel", Role.support),
    ),
    lines=(
        Line(
            "TENT",
            "tents",
            ("Drakensberg Dome Tent", "Karoo Tunnel Tent", "Cederberg Ultralight Tent", "Wild Coast Beach Shelter"),
            ("2-person", "3-person", "4-person", "6-person", "2-person green", "3-person sand", "family 8-person"),
            (1299, 7999),
            "6306.22",
            "Ningbo Outdoor Co",
            "CN",
            "Double-wall tent with taped seams, aluminium poles and a 3000 mm hydrostatic head; pitches in "
            "under ten minutes.",
        ),
        Line(
            "SLEEP",
            "sleeping bags",
            ("Winterberg Down Sleeping Bag", "Mountain Zebra Synthetic Bag", "Sani Pass Mummy Bag"),
            ("-5 °C regular", "-5 °C long", "0 °C regular", "5 °C regular", "-10 °C expedition", "0 °C left zip"),
            (699, 4499),
            "9404.40",
            "Ningbo Outdoor Co",
            "CN",
            "Mummy-shaped bag with a draught collar and a compression sack; comfort rating stated per variant.",
        ),
        Line(
            "LAMP",
            "lighting",
            ("Lumo Headlamp", "Veld Rechargeable Lantern", "Spitskop Torch"),
            ("200 lm", "350 lm", "500 lm", "800 lm", "USB-C 1200 lm", "red-light 300 lm"),
            (149, 1299),
            "8513.10",
            "Shenzhen Bright Tech",
            "CN",
            "Rechargeable LED light with USB-C charging, IPX4 splash resistance and a lock mode for packing.",
        ),
        Line(
            "BOOT",
            "footwear",
            (
                "Magaliesberg Leather Hiking Boot",
                "Tsitsikamma Trail Shoe",
                "Amatola Mid Boot",
                "Otter Trail Running Shoe",
            ),
            ("UK 6", "UK 7", "UK 8", "UK 9", "UK 10", "UK 11", "women's UK 5"),
            (899, 3499),
            "6403.91",
            "Calzature Dolomiti",
            "IT",
            "Full-grain leather upper, waterproof membrane and a Vibram-style lugged sole for rocky trails.",
        ),
        Line(
            "PACK",
            "backpacks",
            ("Otter Trail Backpack", "Blyde Daypack", "Kilimanjaro Expedition Pack", "Fish River Hydration Pack"),
            ("25 L", "35 L", "45 L", "65 L", "65 L women's fit", "80 L"),
            (499, 3999),
            "4202.92",
            "Ningbo Outdoor Co",
            "CN",
            "Ventilated back system, hip belt pockets, rain cover and a hydration sleeve.",
        ),
        Line(
            "COOL",
            "cooler boxes",
            ("Kalahari Cooler Box", "Braai Buddy Cooler Bag"),
            ("25 L", "40 L", "60 L", "80 L", "soft 20 L", "soft 30 L"),
            (399, 4999),
            "3924.90",
            "Shenzhen Bright Tech",
            "CN",
            "Rotomoulded body with thick insulation that keeps ice for up to five days in Karoo summer heat.",
        ),
        Line(
            "BRAAI",
            "braai gear",
            ("Skottel Braai", "Potjie Pot", "Folding Braai Grid", "Braai Tool Set"),
            ("size 1", "size 2", "size 3", "cast iron", "stainless"),
            (199, 1899),
            "7323.99",
            "Ningbo Outdoor Co",
            "CN",
            "Made for South African braais: heavy-gauge steel, wooden handles and a carry bag.",
        ),
        Line(
            "JACK",
            "jackets",
            ("Hoerikwaggo Rain Jacket", "Table Mountain Softshell", "Suurberg Insulated Jacket"),
            ("S", "M", "L", "XL", "women's S", "women's M", "women's L"),
            (799, 3999),
            "6201.40",
            "Guangzhou Apparel Works",
            "CN",
            "Breathable waterproof shell with taped seams, adjustable hood and pit zips.",
        ),
        Line(
            "FLASK",
            "flasks",
            ("Veld Vacuum Flask", "Trail Bottle", "Camp Coffee Flask"),
            ("500 ml", "750 ml", "1 L", "1.5 L", "matte black 750 ml"),
            (149, 699),
            "9617.00",
            "Shenzhen Bright Tech",
            "CN",
            "Double-wall stainless steel that keeps coffee hot for 12 hours and water cold for 24.",
        ),
        Line(
            "TEE",
            "clothing",
            ("Berg Cotton Tee", "Veld Logo T-shirt", "Braai Master Tee"),
            ("S", "M", "L", "XL", "XXL", "women's M"),
            (149, 349),
            "6109.10",
            "Guangzhou Apparel Works",
            "CN",
            "100% cotton T-shirt, pre-shrunk, printed with water-based inks.",
        ),
    ),
)

FYNBOS = DemoOrg(
    id="fynbos",
    name="Fynbos Glow Beauty",
    prefix="FG",
    credits=250,
    users=(
        ("naledi", "Naledi Dlamini", Role.admin),
        ("chloe", "Chloé Jacobs", Role.merchant),
        ("sizwe", "Sizwe Mthembu", Role.support),
    ),
    lines=(
        Line(
            "SERUM",
            "serums",
            ("Rooibos Vitamin C Serum", "Marula Hyaluronic Serum", "Buchu Niacinamide Serum", "Retinol Night Serum"),
            ("15 ml", "30 ml", "50 ml", "refill 30 ml", "travel 10 ml", "duo pack"),
            (189, 699),
            "3304.99",
            "Guangzhou Cosmetics Lab",
            "CN",
            "Lightweight serum with locally sourced botanicals; fragrance-free and suitable for sensitive skin.",
        ),
        Line(
            "MOIST",
            "moisturisers",
            ("Fynbos Day Cream", "Kalahari Melon Night Cream", "Honeybush Gel Moisturiser", "Aloe Soothing Cream"),
            ("50 ml", "100 ml", "SPF 15 50 ml", "rich 50 ml", "light 50 ml"),
            (159, 549),
            "3304.99",
            "Laboratoires Provence",
            "FR",
            "Daily moisturiser that restores the skin barrier with ceramides and marula oil.",
        ),
        Line(
            "SUN",
            "sunscreen",
            ("Kaapse Son SPF 50", "Everyday Mineral SPF 30", "Sport SPF 50+"),
            ("50 ml", "100 ml", "200 ml", "tinted 50 ml", "kids 100 ml", "spray 150 ml"),
            (129, 399),
            "3304.99",
            "Laboratoires Provence",
            "FR",
            "Broad-spectrum UVA/UVB protection, water resistant for 80 minutes, no white cast.",
        ),
        Line(
            "LIP",
            "lip care",
            ("Rooibos Lip Balm", "Marula Tinted Lip Oil", "Protea Lipstick", "Shea Lip Scrub"),
            ("classic", "berry", "nude", "coral", "SPF 15", "gift trio"),
            (59, 249),
            "3304.10",
            "Guangzhou Cosmetics Lab",
            "CN",
            "Nourishing lip care with shea butter and rooibos extract.",
        ),
        Line(
            "MASK",
            "face masks",
            ("Rooibos Clay Face Mask", "Aloe Ferox Sheet Mask", "Baobab Overnight Mask", "Charcoal Peel-off Mask"),
            ("single", "5-pack", "10-pack", "jar 100 ml", "jar 50 ml"),
            (39, 449),
            "3304.99",
            "Guangzhou Cosmetics Lab",
            "CN",
            "Purifying mask with kaolin clay and antioxidant-rich rooibos; rinse off after ten minutes.",
        ),
        Line(
            "HAIR",
            "hair care",
            ("Baobab Hair Oil", "Marula Curl Cream", "Rosemary Growth Oil", "Shea Leave-in Conditioner"),
            ("50 ml", "100 ml", "200 ml", "salon 500 ml", "travel 30 ml"),
            (99, 599),
            "3305.90",
            "Cosmetici Milano",
            "IT",
            "Cold-pressed oils that tame frizz and define curls without silicones.",
        ),
        Line(
            "BAG",
            "accessories",
            ("Protea Leather Handbag", "Fynbos Vegan Tote", "Toiletry Bag", "Makeup Pouch"),
            ("tan", "black", "olive", "blush", "mini tan", "mini black"),
            (299, 2499),
            "4202.21",
            "Guangzhou Leather Goods",
            "CN",
            "Structured bag with an inner zip pocket and an adjustable strap.",
        ),
        Line(
            "SOAP",
            "bath and body",
            ("Rooibos Botanical Soap", "Buchu Body Wash", "Sea Salt Scrub", "Charcoal Detox Soap"),
            ("single", "3-pack", "250 ml", "500 ml", "gift box"),
            (49, 299),
            "3401.11",
            "Laboratoires Provence",
            "FR",
            "Gentle cleansing with plant oils, no sulphates and a fynbos scent.",
        ),
        Line(
            "PERF",
            "fragrance",
            ("Cape Fynbos Eau de Parfum", "Jasmine Night Eau de Toilette", "Rooibos Vanilla Eau de Toilette"),
            ("30 ml", "50 ml", "100 ml", "rollerball 10 ml", "discovery set"),
            (299, 1499),
            "3303.00",
            "Parfums de Grasse",
            "FR",
            "Fresh floral fragrance with notes of buchu, jasmine and cedarwood.",
        ),
        Line(
            "TONER",
            "toners",
            ("Witch Hazel Toner", "Rose Geranium Mist", "Green Tea Essence"),
            ("100 ml", "200 ml", "refill 500 ml", "travel 50 ml", "duo"),
            (99, 349),
            "3304.99",
            "Cosmetici Milano",
            "IT",
            "Alcohol-free toner that balances and preps the skin for serum.",
        ),
    ),
)

DEMO_ORGS = (BERGVELD, FYNBOS)
DEMO_KEYS = {f"fx_demo_{org.id}_{role.value}": (org.id, role) for org in DEMO_ORGS for role in Role}
ORDER_COUNT = 500
FIRST_NAMES = (
    "Lerato",
    "Sipho",
    "Johan",
    "Aisha",
    "Thabo",
    "Megan",
    "Kagiso",
    "Priya",
    "Zanele",
    "Ruan",
    "Nomvula",
    "Liam",
    "Fatima",
    "Bongani",
    "Chantelle",
    "Tshepo",
    "Anika",
    "Musa",
    "Grace",
    "Kyle",
)
LAST_NAMES = (
    "Mokoena",
    "Naidoo",
    "Botha",
    "Khumalo",
    "Smith",
    "Dlamini",
    "van der Merwe",
    "Pillay",
    "Ndlovu",
    "Jacobs",
    "Mahlangu",
    "Pretorius",
    "Govender",
    "Zulu",
    "Fourie",
    "Sithole",
    "Adams",
    "Meyer",
)
CITIES = (
    "Johannesburg",
    "Pretoria",
    "Cape Town",
    "Durban",
    "Gqeberha",
    "Bloemfontein",
    "Stellenbosch",
    "Polokwane",
    "Mbombela",
    "East London",
    "Pietermaritzburg",
    "Kimberley",
    "George",
    "Rustenburg",
)
NEAREST_WAREHOUSE = {
    "Cape Town": "CPT",
    "Stellenbosch": "CPT",
    "George": "CPT",
    "Gqeberha": "CPT",
    "Durban": "DBN",
    "Pietermaritzburg": "DBN",
    "East London": "DBN",
}


def build_products(org: DemoOrg, rng: random.Random) -> list[Product]:
    products: list[Product] = []
    for line in org.lines:
        number = 0
        for name in line.names:
            for variant in line.variants:
                number += 1
                low, high = line.price_range
                price = rng.randint(low, high) // 10 * 10 + 9  # shelf prices end in 9
                products.append(
                    Product(
                        sku=f"{org.prefix}-{line.code}-{number:04d}",
                        title=f"{name} {variant}",
                        description=f"{name}, {variant}. {line.blurb}",
                        category=line.category,
                        price_cents=price * 100,
                        barcode=f"600{rng.randint(10**9, 10**10 - 1)}",
                        hs_code=line.hs_code,
                        supplier=line.supplier,
                        origin_country=line.origin,
                        reorder_point=rng.choice((5, 10, 15, 20, 25, 30)),
                    )
                )
    return products


def build_orders(products: list[Product], rng: random.Random, now: datetime) -> list[Order]:
    weights = [3.0 if p.price_cents < 50_000 else 1.0 for p in products]
    orders: list[Order] = []
    created = sorted(now - timedelta(minutes=rng.randint(10, 90 * 24 * 60)) for _ in range(ORDER_COUNT))
    for index, at in enumerate(created):
        age_days = (now - at).total_seconds() / 86_400
        picked = rng.choices(products, weights=weights, k=rng.choice((1, 1, 1, 2, 2, 3)))
        quantities: dict[str, int] = defaultdict(int)
        for product in picked:
            quantities[product.sku] += rng.choice((1, 1, 1, 2, 3))
        by_sku = {p.sku: p for p in picked}
        lines = [
            OrderLine(sku=sku, title=by_sku[sku].title, quantity=qty, unit_price_cents=by_sku[sku].price_cents)
            for sku, qty in quantities.items()
        ]
        subtotal, vat, total = order_totals(lines)
        city = rng.choice(CITIES)
        path = _status_path(age_days, rng)
        step = timedelta(hours=rng.randint(2, 20))
        history = [StatusChange(status=s, at=min(at + i * step, now), actor="channel-sync") for i, s in enumerate(path)]
        orders.append(
            Order(
                number=1001 + index,
                channel=rng.choices(list(Channel), weights=(5, 2, 3))[0],
                status=path[-1],
                warehouse=NEAREST_WAREHOUSE.get(city, "JHB"),
                customer=Customer(
                    name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    email=f"customer{1001 + index}@example.co.za",
                    city=city,
                ),
                lines=lines,
                subtotal_cents=subtotal,
                vat_cents=vat,
                total_cents=total,
                created_at=at,
                updated_at=history[-1].at,
                history=history,
            )
        )
    return orders


def _status_path(age_days: float, rng: random.Random) -> list[OrderStatus]:
    flow = [OrderStatus.pending, OrderStatus.confirmed, OrderStatus.picking, OrderStatus.shipped, OrderStatus.delivered]
    if rng.random() < 0.05:
        return [OrderStatus.pending, OrderStatus.cancelled]
    if age_days > 10:
        return [*flow, OrderStatus.returned] if rng.random() < 0.04 else flow
    reached = min(len(flow), 1 + int(age_days / 2) + rng.randint(0, 1))
    return flow[:reached]


def build_stock(products: list[Product], orders: list[Order], rng: random.Random) -> list[StockLevel]:
    reserved: dict[tuple[str, str], int] = defaultdict(int)
    for order in orders:
        if order.status in (OrderStatus.pending, OrderStatus.confirmed, OrderStatus.picking):
            for line in order.lines:
                reserved[(line.sku, order.warehouse)] += line.quantity
    levels = []
    for product in products:
        low = rng.random() < 0.12  # some products run low so that the low-stock report has something to say
        for warehouse in WAREHOUSES:
            held = reserved[(product.sku, warehouse.code)]
            on_hand = held + (rng.randint(0, 3) if low else rng.randint(5, 80))
            levels.append(StockLevel(sku=product.sku, warehouse=warehouse.code, on_hand=on_hand, reserved=held))
    return levels


def build_shipments(org: DemoOrg, products: list[Product], rng: random.Random, now: datetime) -> list[Shipment]:
    shipments = []
    by_supplier: dict[str, list[Product]] = defaultdict(list)
    for product in products:
        by_supplier[product.supplier].append(product)
    ports = {"CN": ("Ningbo", "Shenzhen", "Guangzhou"), "IT": ("Genoa",), "FR": ("Le Havre",)}
    statuses = list(ShipmentStatus)
    for index in range(10):
        supplier = sorted(by_supplier)[index % len(by_supplier)]
        items = rng.sample(by_supplier[supplier], k=min(3, len(by_supplier[supplier])))
        origin = items[0].origin_country
        currency = "EUR" if origin in ("IT", "FR") else "USD"
        status = statuses[index % len(statuses)]
        eta = (now + timedelta(days=rng.randint(-20, 45) + 10 * (2 - statuses.index(status)))).date()
        lines = [ShipmentLine(sku=p.sku, quantity=rng.choice((100, 200, 300, 500)), hs_code=p.hs_code) for p in items]
        fob = sum(
            (
                Decimal(line.quantity) * Decimal(p.price_cents) / 100 / Decimal("18.2") / 3
                for line, p in zip(lines, items, strict=True)
            ),
            Decimal(0),
        )
        shipments.append(
            Shipment(
                id=f"SHP-{org.prefix}-{2601 + index}",
                supplier=supplier,
                origin_country=origin,
                origin_port=rng.choice(ports[origin]),
                destination_port="Durban" if rng.random() < 0.8 else "Cape Town",
                destination_warehouse="DBN" if index % 3 else "JHB",
                incoterm=rng.choice(list(Incoterm)[:3]),
                mode="sea" if index % 4 else "air",
                status=status,
                eta=eta,
                fob_value=fob.quantize(Decimal("0.01")),
                currency=currency,
                lines=lines,
                clearing_agent=rng.choice(("Bidvest International Logistics", "DSV Customs", "Kuehne+Nagel SA")),
                customs_reference=f"MRN-{rng.randint(10**7, 10**8 - 1)}" if statuses.index(status) >= 2 else "",
            )
        )
    return shipments


def seed_org(store: Store, org: DemoOrg, now: datetime | None = None) -> bool:
    """Create one demo organisation; returns False (and writes nothing) when it exists already."""
    if store.org(org.id).get().exists:
        return False
    now = now or utcnow()
    rng = random.Random(f"fluxori-demo-{org.id}")
    products = build_products(org, rng)
    orders = build_orders(products, rng, now)
    levels = build_stock(products, orders, rng)
    shipments = build_shipments(org, products, rng, now)
    writer = BatchedWriter(store.client)
    for warehouse in WAREHOUSES:
        writer.set(store.col(org.id, "warehouses").document(warehouse.code), warehouse.model_dump())
    available = available_by_product(levels)
    for product in products:
        totals = stock_totals(available.get(product.sku, 0), product.reorder_point)
        writer.set(store.col(org.id, "products").document(product.sku), product.model_dump() | totals)
    for level in levels:
        writer.set(
            store.col(org.id, "stock").document(level.doc_id), level.model_copy(update={"updated_at": now}).model_dump()
        )
        opening = StockMovement(
            id=f"opening-{stock_id(level.sku, level.warehouse)}",
            sku=level.sku,
            warehouse=level.warehouse,
            kind=MovementKind.adjust,
            on_hand_delta=level.on_hand,
            reason="opening balance (demo data)",
            actor="seed",
            created_at=now,
        )
        writer.set(store.col(org.id, "stock_movements").document(opening.id), opening.model_dump())
    for order in orders:
        writer.set(store.col(org.id, "orders").document(str(order.number)), order.model_dump())
    writer.set(store.col(org.id, "counters").document("orders"), {"last": orders[-1].number})
    for shipment in shipments:
        data = shipment.model_dump(mode="json") | {"updated_at": now}
        writer.set(store.col(org.id, "shipments").document(shipment.id), data)
    for user_id, name, role in org.users:
        user = User(id=user_id, email=f"{user_id}@{org.id}.example.co.za", name=name, role=role)
        writer.set(store.col(org.id, "users").document(user_id), user.model_dump(mode="json"))
    writer.flush()
    credits = CreditsRepository(store)
    _write_org(store, org, seeded=False)
    credits.open_account(org.id, DEFAULT_DAILY_QUOTA_MC)
    credits.grant(org.id, org.credits * MC_PER_CREDIT, "demo-welcome", note="demo welcome credits")
    keys = ApiKeyRepository(store)
    for key, (org_id, role) in DEMO_KEYS.items():
        if org_id == org.id:
            keys.create(org_id, role, label=f"demo {role.value}", key=key)
    _write_org(store, org, seeded=True)
    return True


def _write_org(store: Store, org: DemoOrg, *, seeded: bool) -> None:
    # The org document must exist before keys and credits refer to it; `seeded` marks the end of the run.
    store.org(org.id).set(Organisation(id=org.id, name=org.name).model_dump() | {"demo": True, "seeded": seeded})


def seed(store: Store, now: datetime | None = None) -> dict[str, bool]:
    """Seed every demo organisation that is missing or was interrupted; returns which ones were written."""
    result = {}
    for org in DEMO_ORGS:
        snap = store.org(org.id).get()
        if snap.exists and not (snap.to_dict() or {}).get("seeded", True):
            store.org(org.id).delete()  # an interrupted run: start that organisation again
        result[org.id] = seed_org(store, org, now or datetime.now(UTC))
    return result
