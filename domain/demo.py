"""Demo data: two organisations with catalogues, stock, 90 days of orders, import shipments and credits.

The catalogue (warehouses, organisations, product lines, customer names) is data: `demo_catalogue.json` beside
this module. From it, products, stock, orders and shipments are generated with a fixed random seed, so every
machine gets the same products, orders and numbers (only the dates follow the day of seeding). The organisation
document is written last and marks a finished seed: seeding again changes nothing, and an interrupted seed is
simply redone.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib import resources

from pydantic import BaseModel

from domain.catalog import Product, stock_totals
from domain.credits import DEFAULT_DAILY_QUOTA_MC, MC_PER_CREDIT, CreditsRepository
from domain.inventory import MovementKind, StockLevel, StockMovement, Warehouse, available_by_product, stock_id
from domain.orders import Channel, Customer, Order, OrderLine, OrderStatus, StatusChange, order_totals
from domain.orgs import ApiKeyRepository, Organisation, Role, User
from domain.store import BatchedWriter, Store, utcnow
from domain.trade import Incoterm, Shipment, ShipmentLine, ShipmentStatus

CATALOGUE_FILE = "demo_catalogue.json"
ORDER_COUNT = 500


class Line(BaseModel, frozen=True):
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


class DemoUser(BaseModel, frozen=True):
    id: str
    name: str
    role: Role


class DemoOrg(BaseModel, frozen=True):
    id: str
    name: str
    prefix: str
    credits: int
    users: tuple[DemoUser, ...]
    lines: tuple[Line, ...]


class Customers(BaseModel, frozen=True):
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    cities: tuple[str, ...]


class Catalogue(BaseModel, frozen=True):
    warehouses: tuple[Warehouse, ...]
    organisations: tuple[DemoOrg, ...]
    customers: Customers
    nearest_warehouse: dict[str, str]  # customer city -> warehouse code; JHB for the others


def load_catalogue() -> Catalogue:
    return Catalogue.model_validate_json(resources.files("domain").joinpath(CATALOGUE_FILE).read_text("utf-8"))


CATALOGUE = load_catalogue()
WAREHOUSES = list(CATALOGUE.warehouses)
DEMO_ORGS = CATALOGUE.organisations
DEMO_KEYS = {f"fx_demo_{org.id}_{role.value}": (org.id, role) for org in DEMO_ORGS for role in Role}


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
        city = rng.choice(CATALOGUE.customers.cities)
        path = _status_path(age_days, rng)
        step = timedelta(hours=rng.randint(2, 20))
        history = [StatusChange(status=s, at=min(at + i * step, now), actor="channel-sync") for i, s in enumerate(path)]
        orders.append(
            Order(
                number=1001 + index,
                channel=rng.choices(list(Channel), weights=(5, 2, 3))[0],
                status=path[-1],
                warehouse=CATALOGUE.nearest_warehouse.get(city, "JHB"),
                customer=Customer(
                    name=f"{rng.choice(CATALOGUE.customers.first_names)} {rng.choice(CATALOGUE.customers.last_names)}",
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
        shipment_id = f"SHP-{org.prefix}-{2601 + index}"
        mode = "sea" if index % 4 else "air"
        ordered_on, arrived_on = _shipment_dates(shipment_id, origin, mode, status, eta, now.date())
        shipments.append(
            Shipment(
                id=shipment_id,
                supplier=supplier,
                origin_country=origin,
                origin_port=rng.choice(ports[origin]),
                destination_port="Durban" if rng.random() < 0.8 else "Cape Town",
                destination_warehouse="DBN" if index % 3 else "JHB",
                incoterm=rng.choice(list(Incoterm)[:3]),
                mode=mode,
                status=status,
                eta=eta,
                ordered_on=ordered_on,
                arrived_on=arrived_on,
                fob_value=fob.quantize(Decimal("0.01")),
                currency=currency,
                lines=lines,
                clearing_agent=rng.choice(("Bidvest International Logistics", "DSV Customs", "Kuehne+Nagel SA")),
                customs_reference=f"MRN-{rng.randint(10**7, 10**8 - 1)}" if statuses.index(status) >= 2 else "",
            )
        )
    return shipments


# Door-to-door days from the purchase order to the warehouse, (mean, +- range) of the demo's shipments; the
# documented defaults of assistant.planning.lead_times are the same figures.
DEMO_LEAD_DAYS = {("CN", "sea"): (42, 7), ("EU", "sea"): (35, 5), ("CN", "air"): (7, 2), ("EU", "air"): (7, 2)}
ARRIVED = frozenset({ShipmentStatus.cleared, ShipmentStatus.delivered})


def _shipment_dates(
    shipment_id: str, origin: str, mode: str, status: ShipmentStatus, eta: date, today: date
) -> tuple[date, date | None]:
    """(ordered_on, arrived_on) of a demo shipment. A random generator of its own (seeded by the shipment id), so
    that the orders, stock and shipments drawn from the organisation's generator stay number for number the same."""
    rng = random.Random(f"fluxori-demo-lead-{shipment_id}")
    mean, spread = DEMO_LEAD_DAYS[("CN" if origin == "CN" else "EU", mode)]
    lead = timedelta(days=mean + rng.randint(-spread, spread))
    if status in ARRIVED:
        arrived = min(eta, today)  # cleared or delivered: it is here, at the latest today
        return arrived - lead, arrived
    return min(eta - lead, today), None  # on its way: ordered a lead time before it is due, never in the future


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
    for person in org.users:
        user = User(id=person.id, email=f"{person.id}@{org.id}.example.co.za", name=person.name, role=person.role)
        writer.set(store.col(org.id, "users").document(person.id), user.model_dump(mode="json"))
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
