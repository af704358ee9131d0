"""Orders and sales: one order, a list of recent orders, sales per channel."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from langchain.tools import tool

from assistant.tools.context import Result, Runtime, fail, ok, order_citation, rand, warehouse_of
from assistant.tools.spec import ToolSpec
from domain.errors import DomainError
from domain.orders import CHANNEL_NAMES
from domain.store import utcnow


@tool(response_format="content_and_artifact")
def get_order(order_number: int, runtime: Runtime) -> Result:
    """One order by its number: channel, status, warehouse, customer city, lines, totals and dates."""
    ctx = runtime.context
    try:
        order = ctx.services.orders.get(ctx.org_id, order_number)
    except DomainError as exc:
        return fail(exc)
    data = {
        "number": order.number,
        "channel": CHANNEL_NAMES[order.channel],
        "status": order.status.value,
        "warehouse": order.warehouse,
        "customer_city": order.customer.city,
        "lines": [{"sku": line.sku, "title": line.title, "quantity": line.quantity} for line in order.lines],
        "total_incl_vat": rand(order.total_cents),
        "vat": rand(order.vat_cents),
        "created": order.created_at.date().isoformat(),
        "updated": order.updated_at.date().isoformat(),
    }
    return ok(data, [order_citation(order)])


@tool(response_format="content_and_artifact")
def list_orders(
    runtime: Runtime,
    status: str | None = None,
    channel: str | None = None,
    days: int | None = None,
    warehouse: str | None = None,
    limit: int = 10,
) -> Result:
    """Recent orders, newest first, optionally by status, channel (takealot, amazon, webshop), the last N days and
    the fulfilment warehouse (JHB, CPT, DBN)."""
    ctx = runtime.context
    since = utcnow() - timedelta(days=days) if days else None
    notes = []
    if limit > 25:
        notes.append(f"at most 25 orders are listed at a time, not {limit}")
    limit = max(1, min(limit, 25))
    try:
        code = warehouse_of(ctx, warehouse) if warehouse else None
        # The warehouse is filtered here: read more so that the page still fills up.
        orders = ctx.services.orders.list(
            ctx.org_id, status=status, channel=channel, since=since, limit=limit * 4 if code else limit
        )
    except (DomainError, ValueError) as exc:
        return fail(exc if isinstance(exc, DomainError) else f"unknown status or channel: {exc}")
    if code:
        orders = [o for o in orders if o.warehouse == code][:limit]
    data = [
        {
            "number": o.number,
            "channel": CHANNEL_NAMES[o.channel],
            "status": o.status.value,
            "warehouse": o.warehouse,
            "total_incl_vat": rand(o.total_cents),
            "created": o.created_at.date().isoformat(),
        }
        for o in orders
    ]
    result: dict[str, Any] = {"status": status, "channel": channel, "days": days, "warehouse": code, "orders": data}
    if notes:
        result["notes"] = notes
    return ok(result, [order_citation(o) for o in orders])


@tool(response_format="content_and_artifact")
def sales_summary(runtime: Runtime, days: int = 30) -> Result:
    """Orders, units and revenue (incl. VAT) per sales channel over the last N days."""
    ctx = runtime.context
    notes = [f"the summary covers at most 365 days, not {days}"] if days > 365 else []
    days = max(1, min(days, 365))
    rows = ctx.services.orders.sales_summary(ctx.org_id, utcnow() - timedelta(days=days))
    data = [
        {"channel": CHANNEL_NAMES[r.channel], "orders": r.orders, "units": r.units, "revenue": rand(r.revenue_cents)}
        for r in rows
    ]
    total = sum(r.revenue_cents for r in rows)
    result: dict[str, Any] = {"days": days, "channels": data, "total_revenue": rand(total)}
    if notes:
        result["notes"] = notes
    return ok(result)


GET_ORDER = ToolSpec(get_order, label="one order", running="Looking up the order", done="Looked up the order")
LIST_ORDERS = ToolSpec(list_orders, label="a list of orders", running="Listing orders", done="Listed orders")
SALES_SUMMARY = ToolSpec(sales_summary, label="sales per channel", running="Adding up sales", done="Added up sales")
