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
from google.cloud.firestore_v1.base_query import FieldFilter
from langchain.tools import ToolRuntime, tool
from langchain_core.tools import BaseTool

from assistant.contracts import Citation
from assistant.kb_answers import knowledge_result
from assistant.normalise import warehouse_code
from assistant.ports import Repositories
from domain.catalog import SKU_LIKE, Product
from domain.credits import credits_text
from domain.errors import DomainError, NotFound
from domain.orders import CHANNEL_NAMES, OPEN_STATUSES, TRANSITIONS, Order, OrderStatus
from domain.resolver import Resolution, Verdict, as_asked
from domain.store import utcnow
from domain.trade import FX_TO_ZAR, TariffHeading, duty_rate, find_tariffs, lookup_tariff
from domain.trade import landed_cost as compute_landed_cost
from retrieval.types import Audience

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
        self, org_id: str, query: str, k: int = 5, doc_type: str | None = None, audiences: tuple[Audience, ...] = ...
    ) -> list[SearchHitLike]: ...


@dataclass
class AgentContext:
    """Per-run context, set by the server: who asks, and the adapters the tools use."""

    org_id: str
    actor: str
    services: Repositories
    searcher: Any = None  # a Searcher; typed loosely because tool schemas are built from these annotations
    audiences: tuple[Audience, ...] = ("public",)  # of knowledge-base articles, from the caller's role (the policy)
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


class ProductNotResolved(NotFound):
    """A product name that names no product, or several: the message lists the choices (SKU and name)."""

    def __init__(self, resolution: Resolution) -> None:
        self.resolution = resolution
        query = as_asked(resolution.query)
        if resolution.verdict == Verdict.ambiguous:
            choices = "; ".join(f"{c.sku} {c.title}" for c in resolution.candidates)
            message = f"{query!r} matches several products: {choices}. Which one do you mean?"
        else:
            message = f"there is no product matching {query!r} in your catalogue; give the SKU or the full name"
        super().__init__(message)


def resolve_product(ctx: AgentContext, text: str) -> Product:
    """A SKU, or a name with attributes resolved by the catalogue (domain.resolver): one clear match is used;
    several close ones or none raise ProductNotResolved, whose message asks or says so (never a substitute)."""
    if match := SKU_PATTERN.search(text) or SKU_LIKE.fullmatch(text.strip()):
        return ctx.services.products.get(ctx.org_id, match.group(0))
    resolution = ctx.services.products.resolve(ctx.org_id, text)
    if resolution.sku is None:
        raise ProductNotResolved(resolution)
    return ctx.services.products.get(ctx.org_id, resolution.sku)


def warehouse_of(ctx: AgentContext, name: str) -> str:
    """A warehouse code from a code, city, suburb or nickname ("Jozi", "the Mother City", "Durbs")."""
    return ctx.services.inventory.warehouse(ctx.org_id, warehouse_code(name) or name).code


def _available_in(ctx: AgentContext, skus: list[str], code: str) -> dict[str, int]:
    """Available units of a few SKUs (at most 30) in one warehouse: one Firestore `in` query on the stock levels."""
    if not skus:
        return {}
    stock = ctx.services.inventory.store.col(ctx.org_id, "stock")
    query = stock.where(filter=FieldFilter("warehouse", "==", code)).where(filter=FieldFilter("sku", "in", skus))
    return {snap.get("sku"): snap.get("on_hand") - snap.get("reserved") for snap in query.stream()}


def _choices(exc: ProductNotResolved) -> tuple[str, dict[str, Any]]:
    choices = [{"sku": c.sku, "title": c.title} for c in exc.resolution.candidates]
    if exc.resolution.verdict == Verdict.ambiguous:
        data = {"query": as_asked(exc.resolution.query), "ambiguous": True, "choices": choices, "error": exc.message}
        return json.dumps(data, ensure_ascii=False), {"error": exc.message, "data": data, "citations": []}
    return _fail(exc)


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
        words = _stems(query)  # no name matches: words of the title, category or SKU, most in common first
        scored = [
            (len(words & _stems(f"{sku} {title} {cat}")), sku)
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
            "price_excl_vat": _rand(p.price_cents),
            "available": stock.get(p.sku, 0),
        }
        for p in found
    ]
    result: dict[str, Any] = {"query": as_asked(query), "products": data}
    if len(ranked) > 8:
        notes.append(f"{len(ranked)} products match; showing the first 8")
    if notes:
        result["notes"] = notes
    return _ok(result, [product_citation(p) for p in found])


@tool(response_format="content_and_artifact")
def stock_level(product: str, runtime: Runtime, warehouse: str | None = None) -> tuple[str, dict]:
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
        return _choices(exc)
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
def low_stock_report(runtime: Runtime, warehouse: str | None = None) -> tuple[str, dict]:
    """Products whose available stock over all warehouses is below their reorder point, most urgent first; with a
    warehouse (JHB, CPT, DBN), each with its stock there, the emptiest there first."""
    ctx = runtime.context
    rows = ctx.services.inventory.low_stock(ctx.org_id)
    code = None
    if warehouse:
        try:
            code = warehouse_of(ctx, warehouse)
        except DomainError as exc:
            return _fail(exc)
    data: list[dict[str, Any]] = [
        {"sku": p.sku, "title": p.title, "available": available, "reorder_point": p.reorder_point}
        for p, available in rows
    ]
    if code:
        here = _available_in(ctx, [row["sku"] for row in data[:30]], code)
        for row in data:
            row[f"available_{code}"] = here.get(row["sku"], 0)
        data.sort(key=lambda row: (row[f"available_{code}"] - row["reorder_point"], row["sku"]))
    shown = data[:15]
    products = {p.sku: p for p, _ in rows}
    return _ok(
        {"warehouse": code, "count": len(rows), "products": shown},
        [product_citation(products[row["sku"]]) for row in shown],
    )


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
    runtime: Runtime,
    status: str | None = None,
    channel: str | None = None,
    days: int | None = None,
    warehouse: str | None = None,
    limit: int = 10,
) -> tuple[str, dict]:
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
        return _fail(exc if isinstance(exc, DomainError) else f"unknown status or channel: {exc}")
    if code:
        orders = [o for o in orders if o.warehouse == code][:limit]
    data = [
        {
            "number": o.number,
            "channel": CHANNEL_NAMES[o.channel],
            "status": o.status.value,
            "warehouse": o.warehouse,
            "total_incl_vat": _rand(o.total_cents),
            "created": o.created_at.date().isoformat(),
        }
        for o in orders
    ]
    result: dict[str, Any] = {"status": status, "channel": channel, "days": days, "warehouse": code, "orders": data}
    if notes:
        result["notes"] = notes
    return _ok(result, [order_citation(o) for o in orders])


@tool(response_format="content_and_artifact")
def sales_summary(runtime: Runtime, days: int = 30) -> tuple[str, dict]:
    """Orders, units and revenue (incl. VAT) per sales channel over the last N days."""
    ctx = runtime.context
    notes = [f"the summary covers at most 365 days, not {days}"] if days > 365 else []
    days = max(1, min(days, 365))
    rows = ctx.services.orders.sales_summary(ctx.org_id, utcnow() - timedelta(days=days))
    data = [
        {"channel": CHANNEL_NAMES[r.channel], "orders": r.orders, "units": r.units, "revenue": _rand(r.revenue_cents)}
        for r in rows
    ]
    total = sum(r.revenue_cents for r in rows)
    result: dict[str, Any] = {"days": days, "channels": data, "total_revenue": _rand(total)}
    if notes:
        result["notes"] = notes
    return _ok(result)


@tool(response_format="content_and_artifact")
def list_shipments(
    runtime: Runtime, status: str | None = None, origin_country: str | None = None, warehouse: str | None = None
) -> tuple[str, dict]:
    """Import shipments with supplier, route, status (booked, in_transit, at_customs, cleared, delivered) and ETA;
    optionally only those from one origin country (ISO code, e.g. CN, IT) or for one destination warehouse."""
    ctx = runtime.context
    try:
        shipments = ctx.services.shipments.list(ctx.org_id, status=status)
        code = warehouse_of(ctx, warehouse) if warehouse else None
    except ValueError:
        return _fail("unknown shipment status; use booked, in_transit, at_customs, cleared or delivered")
    except DomainError as exc:
        return _fail(exc)
    if origin_country:
        shipments = [s for s in shipments if s.origin_country == origin_country.strip().upper()]
    if code:
        shipments = [s for s in shipments if s.destination_warehouse == code]
    data = [
        {
            "id": s.id,
            "supplier": s.supplier,
            "origin_country": s.origin_country,
            "route": f"{s.origin_port} to {s.destination_port}",
            "destination_warehouse": s.destination_warehouse,
            "status": s.status.value,
            "eta": s.eta.isoformat(),
            "incoterm": s.incoterm.value,
            "clearing_agent": s.clearing_agent,
            "customs_reference": s.customs_reference,
        }
        for s in shipments
    ]
    citations = [Citation(source=f"shipment:{s.id}", title=f"Shipment {s.id}", snippet=s.supplier) for s in shipments]
    filters = {"status": status, "origin_country": origin_country, "warehouse": code}
    return _ok({**filters, "shipments": data}, citations)


def _heading(ctx: AgentContext, goods: str) -> TariffHeading:
    """The tariff heading of an HS code, of goods described in words, or of a product of the catalogue (SKU or
    name: its HS code)."""
    if re.search(r"\d{4}", goods) and not SKU_PATTERN.search(goods):
        return lookup_tariff(goods)
    if matches := find_tariffs(goods):
        return matches[0]
    try:
        codes = {resolve_product(ctx, goods).hs_code}
    except ProductNotResolved as exc:  # "toners": several products, but perhaps all under one heading
        candidates = exc.resolution.candidates if exc.resolution.verdict == Verdict.ambiguous else []
        skus = [c.sku for c in candidates]
        codes = {p.hs_code for p in ctx.services.products.get_many(ctx.org_id, skus).values()} if skus else set()
    except DomainError:
        codes = set()
    if len(codes) == 1 and (code := codes.pop()):
        return lookup_tariff(code)
    raise NotFound(f"no tariff heading in the table matches {goods!r}; give the HS code")


@tool(response_format="content_and_artifact")
def hs_duty_lookup(query: str, runtime: Runtime, origin_country: str | None = None) -> tuple[str, dict]:
    """Customs duty rate of an HS code (e.g. 6109.10), of goods described in words (e.g. cotton T-shirts) or of a
    product of the catalogue (SKU or name)."""
    try:
        heading = _heading(runtime.context, query)
    except DomainError as exc:
        return _fail(exc)
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
    runtime: Runtime,
    origin_country: str | None = None,
    quantity: int = 1,
    freight_zar: float = 0.0,
    insurance_zar: float = 0.0,
    freight_currency: str = "ZAR",
) -> tuple[str, dict]:
    """Landed cost in rand of an import: customs value (FOB x FX), duty, import VAT (15% of customs value + 10%
    + duty), freight and insurance. `goods` is an HS code or a description; `fob_value` is the total FOB value in
    `currency` (ZAR, USD, EUR, GBP, CNY). `origin_country` (ISO code) sets the duty rate: ask the user when they did
    not say it, never assume it. Freight and insurance are in `freight_currency` (rand unless said otherwise)."""
    if not origin_country:
        return _fail("the country of origin is missing; the duty rate depends on it, so ask where the goods come from")
    try:
        hs_code = _heading(runtime.context, goods).hs_code
        rate = FX_TO_ZAR.get(freight_currency.upper())
        if rate is None:
            return _fail(f"no exchange rate for {freight_currency}; supported: {', '.join(FX_TO_ZAR)}")
        cost = compute_landed_cost(
            fob_value,
            currency,
            hs_code,
            origin_country,
            freight_zar=float(rate) * freight_zar,
            insurance_zar=float(rate) * insurance_zar,
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
    """Add (positive quantity) or remove (negative) units on hand in one warehouse, with a reason. `sku` is a SKU or
    a product name with its variant."""
    ctx = runtime.context
    try:
        item, code = resolve_product(ctx, sku), warehouse_of(ctx, warehouse)
        level = ctx.services.inventory.adjust(ctx.org_id, item.sku, code, quantity, reason, actor=ctx.actor)
    except DomainError as exc:
        return _fail(exc)
    return _ok({"sku": level.sku, "warehouse": level.warehouse, "on_hand": level.on_hand, "available": level.available})


@tool(response_format="content_and_artifact")
def transfer_stock(
    sku: str, from_warehouse: str, to_warehouse: str, quantity: int, runtime: Runtime
) -> tuple[str, dict]:
    """Move available units of one product (SKU or name with its variant) from one warehouse to another (JHB, CPT,
    DBN) in one step."""
    ctx = runtime.context
    try:
        item = resolve_product(ctx, sku)
        source, destination = warehouse_of(ctx, from_warehouse), warehouse_of(ctx, to_warehouse)
        result = ctx.services.inventory.transfer(ctx.org_id, item.sku, source, destination, quantity, actor=ctx.actor)
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
    """Set the available-stock level below which a product (SKU or name) shows in the low-stock report."""
    ctx = runtime.context
    try:
        product = ctx.services.products.set_reorder_point(ctx.org_id, resolve_product(ctx, sku).sku, reorder_point)
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


def validate_write(name: str, args: dict[str, Any], ctx: AgentContext) -> tuple[dict[str, Any], str | None]:
    """Check a proposed write against the current data before anyone is asked to confirm it.

    Returns (args with the product and warehouses resolved to SKU and codes, None) when it can go ahead, or
    (args, why not) when it cannot: not enough stock, a status change the order does not allow, an unknown or
    ambiguous product. The domain checks again when the write runs; this only spares the user a pointless
    confirmation."""
    services, org = ctx.services, ctx.org_id
    args = dict(args)
    try:
        if "sku" in args:
            product = resolve_product(ctx, str(args["sku"]))
            args["sku"] = product.sku
        for key in ("warehouse", "from_warehouse", "to_warehouse"):
            if args.get(key):
                args[key] = warehouse_of(ctx, str(args[key]))
        if name == "transfer_stock":
            quantity = int(args["quantity"])
            source = services.inventory.level(org, args["sku"], args["from_warehouse"])
            if args["from_warehouse"] == args["to_warehouse"]:
                return args, f"{args['from_warehouse']} is both the source and the destination: name two warehouses."
            if quantity <= 0:
                return args, "A transfer needs a positive number of units."
            if source.available < quantity:
                return args, (
                    f"I can't move {quantity} x {product.sku} ({product.title}) from {source.warehouse}: only "
                    f"{source.available} available there ({source.on_hand} on hand, {source.reserved} reserved). "
                    "Nothing was changed."
                )
        elif name == "adjust_stock":
            quantity = int(args["quantity"])
            level = services.inventory.level(org, args["sku"], args["warehouse"])
            if quantity == 0:
                return args, "An adjustment needs a number of units other than 0."
            if level.on_hand + quantity < level.reserved:
                return args, (
                    f"I can't remove {-quantity} x {product.sku} in {level.warehouse}: {level.on_hand} on hand, of "
                    f"which {level.reserved} reserved for orders ({level.available} available). Nothing was changed."
                )
        elif name in ("update_order_status", "cancel_order"):
            order = services.orders.get(org, args["order_number"])
            target = OrderStatus.cancelled if name == "cancel_order" else OrderStatus(str(args["status"]).lower())
            if target not in TRANSITIONS[order.status]:
                allowed = ", ".join(sorted(s.value for s in TRANSITIONS[order.status])) or "none (it is final)"
                verb = "cancelled" if name == "cancel_order" else f"moved to {target.value}"
                reason = " once it has shipped" if name == "cancel_order" and order.status not in OPEN_STATUSES else ""
                return args, (
                    f"Order {order.number} is {order.status.value}, so it cannot be {verb}{reason}; allowed next: "
                    f"{allowed}. Nothing was changed. [order:{order.number}]"
                )
        elif name == "set_reorder_point" and int(args["reorder_point"]) < 0:
            return args, "A reorder point cannot be negative."
    except ProductNotResolved as exc:
        return args, exc.message[0].upper() + exc.message[1:]
    except ValueError:
        return args, f"{args.get('status')!r} is not an order status; use confirmed, picking, shipped or delivered."
    except (DomainError, KeyError, TypeError) as exc:
        return args, f"I can't propose that: {getattr(exc, 'message', exc)}."
    return args, None


def describe_write(name: str, args: dict[str, Any], ctx: AgentContext) -> str:
    """What a proposed write will change, in words, from the current data."""
    services, org = ctx.services, ctx.org_id
    try:
        if name == "transfer_stock":
            sku = resolve_product(ctx, args["sku"]).sku
            source = services.inventory.level(org, sku, warehouse_of(ctx, args["from_warehouse"]))
            dest = warehouse_of(ctx, args["to_warehouse"])
            return (
                f"Move {args['quantity']} x {sku} from {source.warehouse} to {dest} "
                f"({source.available} available in {source.warehouse} now)."
            )
        if name == "adjust_stock":
            sku = resolve_product(ctx, args["sku"]).sku
            level = services.inventory.level(org, sku, warehouse_of(ctx, args["warehouse"]))
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
            product = resolve_product(ctx, args["sku"])
            return (
                f"Set the reorder point of {product.sku} ({product.title}) from {product.reorder_point} "
                f"to {args['reorder_point']}."
            )
    except (DomainError, KeyError, ValueError, TypeError) as exc:
        return f"{name} with {json.dumps(args)} (note: {getattr(exc, 'message', exc)})"
    return f"{name} with {json.dumps(args)}"
