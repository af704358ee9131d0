"""Products and their stock: search the catalogue, the stock of one product, what is running low."""

from __future__ import annotations

from typing import Any

from langchain.tools import tool

from assistant.tools.context import (
    ProductNotResolved,
    Result,
    Runtime,
    choices,
    fail,
    ok,
    product_citation,
    rand,
    resolve_product,
    stems,
    warehouse_of,
)
from assistant.tools.spec import ToolSpec
from domain.errors import DomainError
from domain.resolver import as_asked


@tool(response_format="content_and_artifact")
def find_products(query: str, runtime: Runtime, category: str | None = None) -> Result:
    """Find products in the catalogue by name, variant, category or SKU, with price and stock."""
    ctx = runtime.context
    notes = []
    if category:
        categories = sorted({c for _, _, c in ctx.services.products.names(ctx.org_id)})
        if category.lower() not in categories:
            notes.append(f"there is no category {category!r} (categories: {', '.join(categories)}); searched all")
            category = None
    catalogue = ctx.services.products.catalogue(ctx.org_id)
    ranked = [c for c in catalogue.rank(query) if c.score >= 0.5]
    if category:
        in_category = {sku for sku, _, c in ctx.services.products.names(ctx.org_id, category=category)}
        ranked = [c for c in ranked if c.sku in in_category]
    if not ranked:
        words = stems(query)  # no name matches: words of the title, category or SKU, most in common first
        scored = [
            (len(words & stems(f"{sku} {title} {cat}")), sku)
            for sku, title, cat in ctx.services.products.names(ctx.org_id, category=category)
        ]
        skus = [sku for overlap, sku in sorted(scored, key=lambda item: (-item[0], item[1])) if overlap][:8]
    else:
        skus = [c.sku for c in ranked[:8]]
    products = ctx.services.products.get_many(ctx.org_id, skus)
    found = [products[sku] for sku in skus if sku in products]
    stock = ctx.services.inventory.available_by_sku(ctx.org_id, [p.sku for p in found])
    data = [
        {
            "sku": p.sku,
            "title": p.title,
            "category": p.category,
            "price_excl_vat": rand(p.price_cents),
            "available": stock.get(p.sku, 0),
        }
        for p in found
    ]
    result: dict[str, Any] = {"query": as_asked(query), "products": data}
    if len(ranked) > 8:
        notes.append(f"{len(ranked)} products match; showing the first 8")
    if notes:
        result["notes"] = notes
    return ok(result, [product_citation(p) for p in found])


@tool(response_format="content_and_artifact")
def stock_level(product: str, runtime: Runtime, warehouse: str | None = None) -> Result:
    """Stock of one product per warehouse (JHB, CPT, DBN): on hand, reserved and available. `product` is a SKU or
    a name with its variant (size, colour, capacity...); when several products match, the result lists them to
    ask which one is meant."""
    ctx = runtime.context
    try:
        item = resolve_product(ctx, product)
        levels = ctx.services.inventory.levels_for_sku(ctx.org_id, item.sku)
        if warehouse:
            code = warehouse_of(ctx, warehouse)
            levels = [level for level in levels if level.warehouse == code]
    except ProductNotResolved as exc:
        return choices(exc)
    except DomainError as exc:
        return fail(exc)
    data = {
        "sku": item.sku,
        "title": item.title,
        "reorder_point": item.reorder_point,
        "levels": [
            {"warehouse": lvl.warehouse, "on_hand": lvl.on_hand, "reserved": lvl.reserved, "available": lvl.available}
            for lvl in levels
        ],
    }
    return ok(data, [product_citation(item)])


@tool(response_format="content_and_artifact")
def low_stock_report(runtime: Runtime, warehouse: str | None = None) -> Result:
    """Products whose available stock over all warehouses is below their reorder point, most urgent first; with a
    warehouse (JHB, CPT, DBN), each with its stock there, the emptiest there first."""
    ctx = runtime.context
    rows = ctx.services.inventory.low_stock(ctx.org_id)
    code = None
    if warehouse:
        try:
            code = warehouse_of(ctx, warehouse)
        except DomainError as exc:
            return fail(exc)
    data: list[dict[str, Any]] = [
        {"sku": p.sku, "title": p.title, "available": available, "reorder_point": p.reorder_point}
        for p, available in rows
    ]
    if code:
        here = ctx.services.inventory.available_in(ctx.org_id, [row["sku"] for row in data[:30]], code)
        for row in data:
            row[f"available_{code}"] = here.get(row["sku"], 0)
        data.sort(key=lambda row: (row[f"available_{code}"] - row["reorder_point"], row["sku"]))
    shown = data[:15]
    products = {p.sku: p for p, _ in rows}
    return ok(
        {"warehouse": code, "count": len(rows), "products": shown},
        [product_citation(products[row["sku"]]) for row in shown],
    )


FIND_PRODUCTS = ToolSpec(
    find_products, label="products in the catalogue", running="Looking up products", done="Looked up products"
)
STOCK_LEVEL = ToolSpec(
    stock_level, label="the stock of a product", running="Checking stock levels", done="Checked stock levels"
)
LOW_STOCK_REPORT = ToolSpec(
    low_stock_report,
    label="what is running low",
    running="Checking what is running low",
    done="Checked what is running low",
)
