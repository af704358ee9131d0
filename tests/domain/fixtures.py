"""A small organisation for domain tests: three warehouses and a few products with known stock."""

from __future__ import annotations

from dataclasses import dataclass

from domain.catalog import Product, ProductRepository
from domain.credits import CreditsRepository
from domain.inventory import InventoryRepository, Warehouse
from domain.orders import OrderRepository
from domain.orgs import ApiKeyRepository, OrgRepository
from domain.store import Store
from domain.trade import ShipmentRepository

ORG = "acme-outdoor"
OTHER = "other-org"


@dataclass
class Repos:
    store: Store
    orgs: OrgRepository
    keys: ApiKeyRepository
    products: ProductRepository
    inventory: InventoryRepository
    orders: OrderRepository
    shipments: ShipmentRepository
    credits: CreditsRepository


def repos(store: Store) -> Repos:
    products = ProductRepository(store)
    inventory = InventoryRepository(store, products)
    return Repos(
        store,
        OrgRepository(store),
        ApiKeyRepository(store),
        products,
        inventory,
        OrderRepository(store, inventory),
        ShipmentRepository(store),
        CreditsRepository(store),
    )


def make_org(r: Repos, org_id: str = ORG, stock: int = 10) -> None:
    r.orgs.create(org_id, "Acme Outdoor")
    for code, name in (("JHB", "Johannesburg"), ("CPT", "Cape Town"), ("DBN", "Durban")):
        r.inventory.upsert_warehouse(org_id, Warehouse(code=code, name=f"{name} warehouse", city=name))
    r.products.upsert(
        org_id,
        Product(
            sku="AC-TENT-0001",
            title="Dome tent 2p",
            category="tents",
            price_cents=249900,
            hs_code="6306.22",
            reorder_point=15,
        ),
    )
    r.products.upsert(
        org_id,
        Product(
            sku="AC-LAMP-0001",
            title="Headlamp 300lm",
            category="lighting",
            price_cents=34900,
            hs_code="8513.10",
            reorder_point=2,
        ),
    )
    if stock:
        r.inventory.adjust(org_id, "AC-TENT-0001", "JHB", stock, "opening stock")
        r.inventory.adjust(org_id, "AC-LAMP-0001", "CPT", stock, "opening stock")
    r.credits.open_account(org_id)


def counting(credits: CreditsRepository) -> dict[str, int]:
    """Counts the transactions and batch commits of `credits` (its client's calls, not a stand-in)."""
    counts = {"transactions": 0, "commits": 0}
    run, batch = credits.store.runner.run, credits.store.client.batch

    def counting_run(fn, **kwargs):
        counts["transactions"] += 1
        return run(fn, **kwargs)

    def counting_batch():
        b = batch()
        commit = b.commit

        def counted_commit(*args, **kwargs):
            counts["commits"] += 1
            return commit(*args, **kwargs)

        b.commit = counted_commit
        return b

    credits.store.runner.run = counting_run
    credits.store.client.batch = counting_batch
    return counts
