"""The records a chat answer links to (`product:SKU`, `order:N`), read for the caller's organisation.

Products and orders carry customer and business data: roles that see the knowledge base only (support staff)
get `Forbidden`, exactly as their search and chat are held to `kb` documents."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.application.policy import Capability, Forbidden, check, kb_only
from assistant.ports import Repositories
from domain.catalog import Product
from domain.inventory import StockLevel
from domain.orders import Order
from domain.orgs import Principal


@dataclass(frozen=True)
class ProductStock:
    product: Product
    levels: list[StockLevel]  # one per warehouse that holds the product


def _business_data(principal: Principal) -> None:
    check(principal, Capability.search)
    if kb_only(principal.role):
        raise Forbidden(f"a {principal.role.value} key reads the knowledge base only, not products or orders")


def product_stock(services: Repositories, principal: Principal, sku: str) -> ProductStock:
    """A product of the caller's organisation and its stock per warehouse (NotFound when it has none)."""
    _business_data(principal)
    product = services.products.get(principal.org_id, sku)
    return ProductStock(product, services.inventory.levels_for_sku(principal.org_id, product.sku))


def order(services: Repositories, principal: Principal, number: str) -> Order:
    """An order of the caller's organisation (NotFound when it has none of that number)."""
    _business_data(principal)
    return services.orders.get(principal.org_id, number)
