"""Products and orders rendered as searchable documents (plain text, one field a line, labels in words).

A product document carries its stock per warehouse, so it changes whenever stock moves: the assistant calls
`pipeline.reindex_documents` after a confirmed write, and `ingest_catalog` catches up with everything else.
Amounts are rand in the format the assistant uses (`R1 299.00`); prices exclude VAT (15% is added on orders).
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.catalog import Product
from domain.inventory import StockLevel, Warehouse
from domain.orders import CHANNEL_NAMES, VAT_RATE_PERCENT, Order
from ingestion.models import LoadedDocument, Part


def rand(cents: int) -> str:
    return f"R{cents / 100:,.2f}".replace(",", " ")


def product_doc_id(sku: str) -> str:
    return f"product:{sku}"


def order_doc_id(number: int) -> str:
    return f"order:{number}"


def render_product(product: Product, levels: Iterable[StockLevel], warehouses: Iterable[Warehouse]) -> LoadedDocument:
    names = {w.code: w for w in warehouses}
    by_code = {level.warehouse: level for level in levels}
    codes = list(names) + sorted(set(by_code) - set(names))  # warehouses in their order, then unknown codes
    gross = product.price_cents + (product.price_cents * VAT_RATE_PERCENT + 50) // 100
    lines = [
        f"SKU: {product.sku}",
        f"Category: {product.category}",
        f"Price: {rand(product.price_cents)} excluding VAT ({rand(gross)} including {VAT_RATE_PERCENT}% VAT)",
    ]
    if product.barcode:
        lines.append(f"Barcode: {product.barcode}")
    if product.hs_code:
        lines.append(f"HS code (tariff heading): {product.hs_code}")
    if product.supplier or product.origin_country:
        origin = f" (country of origin {product.origin_country})" if product.origin_country else ""
        lines.append(f"Supplier: {product.supplier or 'unknown'}{origin}")
    lines.append(f"Reorder point: {product.reorder_point} units available")
    total_on_hand = total_available = 0
    lines.append("Stock per warehouse:")
    for code in codes:
        level = by_code.get(code, StockLevel(sku=product.sku, warehouse=code))
        total_on_hand += level.on_hand
        total_available += level.available
        where = f"{code} ({names[code].city})" if code in names and names[code].city else code
        lines.append(f"- {where}: {level.on_hand} on hand, {level.reserved} reserved, {level.available} available")
    low = product.reorder_point > 0 and total_available < product.reorder_point
    state = "LOW STOCK, below the reorder point" if low else "above the reorder point"
    lines.append(f"Total: {total_on_hand} on hand, {total_available} available ({state})")
    if product.description:
        lines.append(f"Description: {product.description}")
    return LoadedDocument(title=f"{product.title} ({product.sku})", parts=[Part(text="\n".join(lines), markdown=False)])


def product_metadata(product: Product) -> dict[str, str]:
    return {"sku": product.sku, "category": product.category}


def render_order(order: Order) -> LoadedDocument:
    channel = CHANNEL_NAMES.get(order.channel, str(order.channel))
    customer = order.customer
    who = ", ".join(x for x in (customer.name, customer.city) if x)
    lines = [
        f"Order number: {order.number}",
        f"Channel: {channel} ({order.channel.value})",
        f"Status: {order.status.value}",
        f"Customer: {who}" + (f" <{customer.email}>" if customer.email else ""),
        f"Fulfilment warehouse: {order.warehouse}",
        f"Placed: {order.created_at:%Y-%m-%d %H:%M} UTC",
        f"Last updated: {order.updated_at:%Y-%m-%d %H:%M} UTC",
        "Lines:",
    ]
    for line in order.lines:
        lines.append(
            f"- {line.quantity} x {line.title} ({line.sku}) at {rand(line.unit_price_cents)} = {rand(line.total_cents)}"
        )
    lines += [
        f"Subtotal: {rand(order.subtotal_cents)} excluding VAT",
        f"VAT ({VAT_RATE_PERCENT}%): {rand(order.vat_cents)}",
        f"Total: {rand(order.total_cents)} including VAT",
    ]
    if order.history:
        steps = ", ".join(f"{change.status.value} {change.at:%Y-%m-%d}" for change in order.history)
        lines.append(f"Status history: {steps}")
    return LoadedDocument(
        title=f"Order {order.number} ({channel}, {order.status.value})",
        parts=[Part(text="\n".join(lines), markdown=False)],
    )


def order_metadata(order: Order) -> dict[str, str | int]:
    return {"order_number": order.number, "status": order.status.value, "channel": order.channel.value}


def doc_ids_for_order(order: Order) -> list[str]:
    """What to re-index after an order changes: the order, and its products (their reserved/on-hand stock moved)."""
    return [order_doc_id(order.number), *sorted({product_doc_id(line.sku) for line in order.lines})]
