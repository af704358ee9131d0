"""The agent's tools. Each reads the organisation from the run context that the server sets from the caller's
API key; no tool takes an organisation argument, so a model cannot reach another organisation's data.

Every tool returns (content for the model, artifact for the service): the artifact carries citations and,
for failures, the error, so that answers can cite sources whatever the model.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal, Protocol

import Stemmer
from langchain.tools import ToolRuntime, tool
from langchain_core.tools import BaseTool

from assistant.contracts import Citation
from assistant.kb_answers import knowledge_result
from assistant.ports import Repositories
from domain.catalog import Product, normalise_sku
from domain.credits import credits_text
from domain.errors import DomainError, InvalidInput, NotFound
from domain.orders import CHANNEL_NAMES, Order
from domain.store import utcnow
from domain.trade import duty_rate, find_tariffs, lookup_tariff
from domain.trade import landed_cost as compute_landed_cost

SKU_PATTERN = re.compile(r"\b[A-Z]{2}-[A-Z]+-\d{4}\b", re.IGNORECASE)
_STEMMER = Stemmer.Stemmer("english")


class SearchHitLike(Protocol):
    chunk_id: str
    doc_type: str
    source: str
    title: str
    heading_path: list[str]
    text: str
    score: float
    metadata: dict[str, Any]


class Searcher(Protocol):
    def search(
        self, org_id: str, query: str, k: int = 5, doc_type: str | None = None, audiences: tuple[str, ...] = ...
    ) -> list[SearchHitLike]: ...


@dataclass
class AgentContext:
    """Per-run context, set by the server: who asks, and the adapters the tools use."""

    org_id: str
    actor: str
    services: Repositories
    searcher: Any = None  # a Searcher; typed loosely because tool schemas are built from these annotations
    audiences: tuple[str, ...] = ("public",)  # of knowledge-base articles, from the caller's role (the policy)
    embedded_chars: list[int] = field(default_factory=list)


Runtime = ToolRuntime[AgentContext]
WRITE_TOOLS = ("adjust_stock", "transfer_stock", "update_order_status", "cancel_order", "set_reorder_point")


def _ok(data: Any, citations: list[Citation] | None = None) -> tuple[str, dict[str, Any]]:
    return json.dumps(data, default=str, ensure_ascii=False), {
        "data": data,
        "citations": [c.model_dump() for c in citations or []],
    }


def _fail(error: DomainError | str) -> tuple[str, dict[str, Any]]:
    message = error.message if isinstance(error, DomainError) else error
    return json.dumps({"error": message}), {"error": message, "citations": []}


def _rand(cents: int) -> str:
    return f"R{cents / 100:,.2f}".replace(",", " ")


def _stems(text: str) -> set[str]:
    """Lower-case English stems, so "headlamps" finds "Headlamp" and "sunscreens" "Sunscreen"."""
    return set(_STEMMER.stemWords(re.findall(r"[a-z0-9]+", text.lower())))


def product_citation(product: Product) -> Citation:
    return Citation(source=f"product:{product.sku}", title=product.title, snippet=product.description[:160])


def order_citation(order: Order) -> Citation:
    summary = f"{CHANNEL_NAMES[order.channel]} order, {order.status.value}, {_rand(order.total_cents)} incl. VAT"
    return Citation(source=f"order:{order.number}", title=f"Order {order.number}", snippet=summary)


def resolve_product(ctx: AgentContext, text: str) -> Product:
    """A SKU, or the product whose title best matches the words given."""
    if match := SKU_PATTERN.search(text):
        return ctx.services.products.get(ctx.org_id, match.group(0))
    words = set(re.findall(r"[a-z0-9]+", text.lower())) - {"the", "a", "of", "in", "our", "we", "do", "many"}
    if not words:
        raise InvalidInput("name a product or give its SKU, e.g. BV-TENT-0001")
    best, best_score = None, 0.0
    for sku, title, category in ctx.services.products.names(ctx.org_id):
        score = len(words & set(re.findall(r"[a-z0-9]+", f"{title} {category}".lower()))) / len(words)
        if score > best_score:
            best, best_score = sku, score
    if best is None or best_score < 0.5:
        raise NotFound(f"no product matches {text!r}; give the SKU, e.g. BV-TENT-0001")
    return ctx.services.products.get(ctx.org_id, best)


# Read tools ------------------------------------------------------------------------------------------------


@tool(response_format="content_and_artifact")
def search_knowledge_base(
    query: str, runtime: Runtime, doc_type: Literal["kb", "product", "order"] | None = "kb"
) -> tuple[str, dict]:
    """Search the help centre (doc_type "kb"), or the product and order documents, for passages about the query.
    Use it for how-to questions about Fluxori, channels, importing, customs, VAT, credits and operations.
    Passages are numbered: cite passage n as [n]. If "found" is false, say the knowledge base has no answer."""
    ctx = runtime.context
    if ctx.searcher is None:
        return _fail("the knowledge base is not available right now")
    ctx.embedded_chars.append(len(query))
    if doc_type == "kb":
        data, citations = knowledge_result(ctx.searcher, ctx.org_id, query, ctx.audiences)
        return _ok(data, citations)
    hits = ctx.searcher.search(ctx.org_id, query, k=4, doc_type=doc_type, audiences=ctx.audiences)
    passages = [
        {"number": n, "source": h.source, "title": h.title, "text": h.text} for n, h in enumerate(hits, start=1)
    ]
    citations = [Citation(source=h.source, title=h.title, snippet=h.text[:200]) for h in hits]
    return _ok({"query": query, "found": bool(hits), "passages": passages}, citations)


@tool(response_format="content_and_artifact")
def find_products(query: str, runtime: Runtime, category: str | None = None) -> tuple[str, dict]:
    """Find products in the catalogue by words in their title, category or SKU, with price and stock."""
    ctx = runtime.context
    words = _stems(query)
    scored = []
    for sku, title, product_category in ctx.services.products.names(ctx.org_id, category=category):
        overlap = len(words & _stems(f"{sku} {title} {product_category}"))
        if overlap:
            scored.append((overlap, sku))
    scored.sort(key=lambda item: (-item[0], item[1]))
    products = ctx.services.products.get_many(ctx.org_id, [sku for _, sku in scored[:8]])
    found = [products[sku] for _, sku in scored[:8] if sku in products]
    stock = ctx.services.inventory.available_by_sku(ctx.org_id, [p.sku for p in found])
    data = [
        {
            "sku": p.sku,
            "title": p.title,
            "category": p.category,
            "price_excl_vat": _rand(p.price_cents),
            "available": stock.get(p.sku, 0),
        }
        for p in found
    ]
    return _ok({"query": query, "products": data}, [product_citation(p) for p in found])


@tool(response_format="content_and_artifact")
def stock_level(product: str, runtime: Runtime, warehouse: str | None = None) -> tuple[str, dict]:
    """Stock of one product (SKU or name) per warehouse (JHB, CPT, DBN): on hand, reserved and available."""
    ctx = runtime.context
    try:
        item = resolve_product(ctx, product)
        levels = ctx.services.inventory.levels_for_sku(ctx.org_id, item.sku)
        if warehouse:
            code = ctx.services.inventory.warehouse(ctx.org_id, warehouse).code
            levels = [level for level in levels if level.warehouse == code]
    except DomainError as exc:
        return _fail(exc)
    data = {
        "sku": item.sku,
        "title": item.title,
        "reorder_point": item.reorder_point,
        "levels": [
            {"warehouse": lvl.warehouse, "on_hand": lvl.on_hand, "reserved": lvl.reserved, "available": lvl.available}
            for lvl in levels
        ],
    }
    return _ok(data, [product_citation(item)])


@tool(response_format="content_and_artifact")
def low_stock_report(runtime: Runtime) -> tuple[str, dict]:
    """Products whose available stock over all warehouses is below their reorder point, most urgent first."""
    ctx = runtime.context
    rows = ctx.services.inventory.low_stock(ctx.org_id)
    data = [
        {"sku": p.sku, "title": p.title, "available": available, "reorder_point": p.reorder_point}
        for p, available in rows[:15]
    ]
    return _ok({"count": len(rows), "products": data}, [product_citation(p) for p, _ in rows[:15]])


@tool(response_format="content_and_artifact")
def get_order(order_number: int, runtime: Runtime) -> tuple[str, dict]:
    """One order by its number: channel, status, warehouse, customer city, lines, totals and dates."""
    ctx = runtime.context
    try:
        order = ctx.services.orders.get(ctx.org_id, order_number)
    except DomainError as exc:
        return _fail(exc)
    data = {
        "number": order.number,
        "channel": CHANNEL_NAMES[order.channel],
        "status": order.status.value,
        "warehouse": order.warehouse,
        "customer_city": order.customer.city,
        "lines": [{"sku": line.sku, "title": line.title, "quantity": line.quantity} for line in order.lines],
        "total_incl_vat": _rand(order.total_cents),
        "vat": _rand(order.vat_cents),
        "created": order.created_at.date().isoformat(),
        "updated": order.updated_at.date().isoformat(),
    }
    return _ok(data, [order_citation(order)])


@tool(response_format="content_and_artifact")
def list_orders(
    runtime: Runtime, status: str | None = None, channel: str | None = None, days: int | None = None, limit: int = 10
) -> tuple[str, dict]:
    """Recent orders, optionally by status, channel (takealot, amazon, webshop) and the last N days."""
    ctx = runtime.context
    since = utcnow() - timedelta(days=days) if days else None
    try:
        orders = ctx.services.orders.list(
            ctx.org_id, status=status, channel=channel, since=since, limit=max(1, min(limit, 25))
        )
    except (DomainError, ValueError) as exc:
        return _fail(exc if isinstance(exc, DomainError) else f"unknown status or channel: {exc}")
    data = [
        {
            "number": o.number,
            "channel": CHANNEL_NAMES[o.channel],
            "status": o.status.value,
            "total_incl_vat": _rand(o.total_cents),
            "created": o.created_at.date().isoformat(),
        }
        for o in orders
    ]
    return _ok(
        {"status": status, "channel": channel, "days": days, "orders": data}, [order_citation(o) for o in orders]
    )


@tool(response_format="content_and_artifact")
def sales_summary(runtime: Runtime, days: int = 30) -> tuple[str, dict]:
    """Orders, units and revenue (incl. VAT) per sales channel over the last N days."""
    ctx = runtime.context
    days = max(1, min(days, 365))
    rows = ctx.services.orders.sales_summary(ctx.org_id, utcnow() - timedelta(days=days))
    data = [
        {"channel": CHANNEL_NAMES[r.channel], "orders": r.orders, "units": r.units, "revenue": _rand(r.revenue_cents)}
        for r in rows
    ]
    total = sum(r.revenue_cents for r in rows)
    return _ok({"days": days, "channels": data, "total_revenue": _rand(total)})


@tool(response_format="content_and_artifact")
def list_shipments(runtime: Runtime, status: str | None = None) -> tuple[str, dict]:
    """Import shipments with supplier, route, status (booked, in_transit, at_customs, cleared, delivered) and ETA."""
    ctx = runtime.context
    try:
        shipments = ctx.services.shipments.list(ctx.org_id, status=status)
    except ValueError:
        return _fail("unknown shipment status; use booked, in_transit, at_customs, cleared or delivered")
    data = [
        {
            "id": s.id,
            "supplier": s.supplier,
            "route": f"{s.origin_port} to {s.destination_port}",
            "status": s.status.value,
            "eta": s.eta.isoformat(),
            "incoterm": s.incoterm.value,
            "clearing_agent": s.clearing_agent,
            "customs_reference": s.customs_reference,
        }
        for s in shipments
    ]
    citations = [Citation(source=f"shipment:{s.id}", title=f"Shipment {s.id}", snippet=s.supplier) for s in shipments]
    return _ok({"status": status, "shipments": data}, citations)


@tool(response_format="content_and_artifact")
def hs_duty_lookup(query: str, runtime: Runtime, origin_country: str | None = None) -> tuple[str, dict]:
    """Customs duty rate of an HS code (e.g. 6109.10) or of goods described in words (e.g. cotton T-shirts)."""
    try:
        heading = lookup_tariff(query) if re.search(r"\d{4}", query) else None
    except DomainError as exc:
        return _fail(exc)
    if heading is None:
        matches = find_tariffs(query)
        if not matches:
            return _fail(f"no tariff heading in the table matches {query!r}; give the HS code")
        heading = matches[0]
    data = {
        "hs_code": heading.hs_code,
        "description": heading.description,
        "general_rate_percent": float(heading.general_rate * 100),
        "eu_rate_percent": float(heading.eu_rate * 100),
        "origin_country": origin_country,
    }
    if origin_country:
        data["applied_rate_percent"] = float(duty_rate(heading, origin_country) * 100)
    citation = Citation(
        source=f"tariff:{heading.hs_code}", title=f"Tariff heading {heading.hs_code}", snippet=heading.description
    )
    return _ok(data, [citation])


@tool(response_format="content_and_artifact")
def landed_cost(
    goods: str,
    fob_value: float,
    currency: str,
    origin_country: str,
    runtime: Runtime,
    quantity: int = 1,
    freight_zar: float = 0.0,
    insurance_zar: float = 0.0,
) -> tuple[str, dict]:
    """Landed cost in rand of an import: customs value (FOB x FX), duty, import VAT (15% of customs value + 10%
    + duty), freight and insurance. `goods` is an HS code or a description; `fob_value` is the total FOB value."""
    try:
        if re.search(r"\d{4}", goods):
            hs_code = lookup_tariff(goods).hs_code
        elif matches := find_tariffs(goods):
            hs_code = matches[0].hs_code
        else:
            return _fail(f"no tariff heading matches {goods!r}; give the HS code")
        cost = compute_landed_cost(
            fob_value,
            currency,
            hs_code,
            origin_country,
            freight_zar=freight_zar,
            insurance_zar=insurance_zar,
            quantity=quantity,
        )
    except DomainError as exc:
        return _fail(exc)
    citation = Citation(
        source=f"tariff:{cost.hs_code}", title=f"Tariff heading {cost.hs_code}", snippet=cost.description
    )
    return _ok(json.loads(cost.model_dump_json()), [citation])


@tool(response_format="content_and_artifact")
def credits_balance(runtime: Runtime) -> tuple[str, dict]:
    """The organisation's AI credits: balance, daily quota and what was used today."""
    ctx = runtime.context
    account = ctx.services.credits.account(ctx.org_id)
    return _ok(
        {
            "balance": credits_text(account.balance_mc),
            "daily_quota": credits_text(account.daily_quota_mc),
            "used_today": credits_text(account.used_today_mc),
        }
    )


# Write tools: the agent only proposes them; they run after the user confirms (see assistant/agent.py) --------


@tool(response_format="content_and_artifact")
def adjust_stock(sku: str, warehouse: str, quantity: int, reason: str, runtime: Runtime) -> tuple[str, dict]:
    """Add (positive quantity) or remove (negative) units on hand in one warehouse, with a reason."""
    ctx = runtime.context
    try:
        level = ctx.services.inventory.adjust(ctx.org_id, sku, warehouse, quantity, reason, actor=ctx.actor)
    except DomainError as exc:
        return _fail(exc)
    return _ok({"sku": level.sku, "warehouse": level.warehouse, "on_hand": level.on_hand, "available": level.available})


@tool(response_format="content_and_artifact")
def transfer_stock(
    sku: str, from_warehouse: str, to_warehouse: str, quantity: int, runtime: Runtime
) -> tuple[str, dict]:
    """Move available units of one SKU from one warehouse to another (JHB, CPT, DBN) in one step."""
    ctx = runtime.context
    try:
        result = ctx.services.inventory.transfer(
            ctx.org_id, sku, from_warehouse, to_warehouse, quantity, actor=ctx.actor
        )
    except DomainError as exc:
        return _fail(exc)
    return _ok(
        {
            "sku": result.sku,
            "quantity": result.quantity,
            "from": {"warehouse": result.source.warehouse, "available": result.source.available},
            "to": {"warehouse": result.destination.warehouse, "available": result.destination.available},
        }
    )


def _order_change(order: Order) -> dict[str, Any]:
    # the SKUs tell the service which product documents to re-index: their stock moved with the order
    return {"number": order.number, "status": order.status.value, "skus": sorted({line.sku for line in order.lines})}


@tool(response_format="content_and_artifact")
def update_order_status(order_number: int, status: str, runtime: Runtime) -> tuple[str, dict]:
    """Move an order along pending -> confirmed -> picking -> shipped -> delivered (or returned after delivery)."""
    ctx = runtime.context
    try:
        order = ctx.services.orders.transition(ctx.org_id, order_number, status, actor=ctx.actor)
    except DomainError as exc:
        return _fail(exc)
    return _ok(_order_change(order), [order_citation(order)])


@tool(response_format="content_and_artifact")
def cancel_order(order_number: int, runtime: Runtime) -> tuple[str, dict]:
    """Cancel an order that has not shipped yet; its reserved stock is released."""
    ctx = runtime.context
    try:
        order = ctx.services.orders.cancel(ctx.org_id, order_number, actor=ctx.actor)
    except DomainError as exc:
        return _fail(exc)
    return _ok(_order_change(order), [order_citation(order)])


@tool(response_format="content_and_artifact")
def set_reorder_point(sku: str, reorder_point: int, runtime: Runtime) -> tuple[str, dict]:
    """Set the available-stock level below which a product shows in the low-stock report."""
    ctx = runtime.context
    try:
        product = ctx.services.products.set_reorder_point(ctx.org_id, sku, reorder_point)
    except DomainError as exc:
        return _fail(exc)
    return _ok({"sku": product.sku, "reorder_point": product.reorder_point}, [product_citation(product)])


READ_TOOLS: list[BaseTool] = [
    search_knowledge_base,
    find_products,
    stock_level,
    low_stock_report,
    get_order,
    list_orders,
    sales_summary,
    list_shipments,
    hs_duty_lookup,
    landed_cost,
    credits_balance,
]
ALL_TOOLS: list[BaseTool] = [
    *READ_TOOLS,
    adjust_stock,
    transfer_stock,
    update_order_status,
    cancel_order,
    set_reorder_point,
]


def describe_write(name: str, args: dict[str, Any], ctx: AgentContext) -> str:
    """What a proposed write will change, in words, from the current data."""
    services, org = ctx.services, ctx.org_id
    try:
        if name == "transfer_stock":
            sku = normalise_sku(args["sku"])
            source = services.inventory.level(org, sku, args["from_warehouse"])
            dest = services.inventory.warehouse(org, args["to_warehouse"]).code
            return (
                f"Move {args['quantity']} x {sku} from {source.warehouse} to {dest} "
                f"({source.available} available in {source.warehouse} now)."
            )
        if name == "adjust_stock":
            level = services.inventory.level(org, args["sku"], args["warehouse"])
            change = f"add {args['quantity']}" if int(args["quantity"]) > 0 else f"remove {-int(args['quantity'])}"
            return (
                f"{change.capitalize()} x {level.sku} in {level.warehouse} ({level.on_hand} on hand now), "
                f"reason: {args.get('reason', '')}."
            )
        if name == "update_order_status":
            order = services.orders.get(org, args["order_number"])
            return f"Change order {order.number} from {order.status.value} to {args['status']}."
        if name == "cancel_order":
            order = services.orders.get(org, args["order_number"])
            return (
                f"Cancel order {order.number} ({order.status.value}, {_rand(order.total_cents)}) and release its stock."
            )
        if name == "set_reorder_point":
            product = services.products.get(org, args["sku"])
            return (
                f"Set the reorder point of {product.sku} ({product.title}) from {product.reorder_point} "
                f"to {args['reorder_point']}."
            )
    except (DomainError, KeyError, ValueError, TypeError) as exc:
        return f"{name} with {json.dumps(args)} (note: {getattr(exc, 'message', exc)})"
    return f"{name} with {json.dumps(args)}"
