"""The plans (`assistant.planning`, issue 24) as tools: what to reorder and how much, transfers that even out days
of cover, when one product runs out; and the one write they lead to, a batch of reorder points set to the
suggested values (one confirmation card, all or nothing).

The figures are the planning service's (a forecast of the last 90 days of orders per SKU and warehouse); these
tools only choose the rows a merchant needs to see and shape them as tables. A SKU without sales in 90 days says
so ("no sales in 90 days"): it never gets a made-up rate, nor a suggested reorder point.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, NamedTuple

from langchain.tools import tool
from pydantic import BaseModel, Field, ValidationError

from assistant.contracts import Citation
from assistant.planning.forecast import NO_SALES
from assistant.planning.plans import ReorderRow, TransferSuggestion
from assistant.planning.ports import Planner
from assistant.tools.context import (
    AgentContext,
    ProductNotResolved,
    Result,
    Runtime,
    choices,
    fail,
    ok,
    product_citation,
    resolve_product,
    warehouse_of,
)
from assistant.tools.spec import Args, ToolSpec
from domain.catalog import MAX_REORDER_BATCH, ReorderPointChange
from domain.errors import DomainError

SHOWN = 15  # rows of a plan in one answer: a table a merchant still scans; the rest is counted


def planner(ctx: AgentContext) -> Planner:
    return ctx.services.planning


def _cover(days: float | None) -> int | None:
    return None if days is None else int(days)


def _plan_row(row: ReorderRow) -> dict[str, Any]:
    return {
        "sku": row.sku,
        "title": row.title,
        "warehouse": row.warehouse,
        "available": row.available,
        "per_day": row.per_day,
        "days_of_cover": _cover(row.days_of_cover),
        "stockout_date": row.stockout_date.isoformat() if row.stockout_date else None,
        "lead_time_days": row.lead_time_days,
        "safety_stock": row.safety_stock,
        "suggested_quantity": row.suggested_quantity,
        "suggested_reorder_point": row.suggested_reorder_point,
        "note": row.note or (NO_SALES if row.days_of_cover is None else ""),
    }


def _citation(sku: str, title: str, snippet: str) -> Citation:
    return Citation(source=f"product:{sku}", title=title, snippet=snippet)


@tool(response_format="content_and_artifact")
def reorder_plan(runtime: Runtime, weeks: int = 4, warehouse: str | None = None) -> Result:
    """What to order now, and how much, to cover the supplier lead time plus `weeks` weeks of forecast demand, per
    SKU and warehouse (JHB, CPT, DBN): available, units per day, days of cover, expected stockout date, suggested
    order quantity and suggested reorder point, from the last 90 days of orders; most urgent first. Optionally for
    one warehouse."""
    ctx = runtime.context
    try:
        code = warehouse_of(ctx, warehouse) if warehouse else None
        plan = planner(ctx).reorder_plan(ctx.org_id, weeks=weeks, warehouse=code)
    except DomainError as exc:
        return fail(exc)
    # The plan's rows are those that need attention (an order to place, or a stockout within the lead time),
    # soonest stockout first.
    shown = plan.rows[:SHOWN]
    data: dict[str, Any] = {
        "weeks": weeks,
        "warehouse": code,
        "service_level": plan.service_level,
        "count": len(plan.rows),
        "products": [_plan_row(row) for row in shown],
    }
    if len(plan.rows) > SHOWN:
        data["notes"] = [f"{len(plan.rows)} lines need attention; these are the {SHOWN} that run out first"]
    citations = [_citation(row.sku, row.title, f"{row.warehouse}: order {row.suggested_quantity}") for row in shown]
    return ok(data, citations)


def _move(move: TransferSuggestion) -> dict[str, Any]:
    return {
        "sku": move.sku,
        "title": move.title,
        "from": move.source,
        "to": move.destination,
        "quantity": move.quantity,
        "source_cover_days_after": _cover(move.source_cover_days_after),
        "destination_cover_days_before": _cover(move.destination_cover_days_before),
        "destination_cover_days_after": _cover(move.destination_cover_days_after),
    }


@tool(response_format="content_and_artifact")
def rebalance_plan(runtime: Runtime, product: str | None = None) -> Result:
    """Stock transfers between the warehouses (JHB, CPT, DBN) that even out days of cover without leaving the
    source short: for each, the product, from, to, quantity and the days of cover before and after. Optionally for
    one product (SKU or name). Each can then be proposed as a stock transfer."""
    ctx = runtime.context
    try:
        item = resolve_product(ctx, product) if product else None
        plan = planner(ctx).rebalance_plan(ctx.org_id, sku=item.sku if item else None)
    except ProductNotResolved as exc:
        return choices(exc)
    except DomainError as exc:
        return fail(exc)
    moves = plan.moves[:SHOWN]
    data: dict[str, Any] = {"count": len(plan.moves), "moves": [_move(m) for m in moves]}
    if item is not None:
        data |= {"sku": item.sku, "title": item.title}
    if len(plan.moves) > SHOWN:
        data["notes"] = [f"{len(plan.moves)} transfers would help; these are the first {SHOWN}"]
    citations = [_citation(m.sku, m.title, f"move {m.quantity} from {m.source} to {m.destination}") for m in moves]
    return ok(data, [product_citation(item)] if item and not moves else citations)


@tool(response_format="content_and_artifact")
def stockout_forecast(product: str, runtime: Runtime, warehouse: str | None = None) -> Result:
    """When one product (SKU or name with its variant) runs out, per warehouse (JHB, CPT, DBN) or in one: available,
    units sold per day (forecast from the last 90 days), days of cover and the expected stockout date."""
    ctx = runtime.context
    try:
        item = resolve_product(ctx, product)
        code = warehouse_of(ctx, warehouse) if warehouse else None
        rows = planner(ctx).stockout_forecast(ctx.org_id, item.sku, warehouse=code)
    except ProductNotResolved as exc:
        return choices(exc)
    except DomainError as exc:
        return fail(exc)
    data = {
        "sku": item.sku,
        "title": item.title,
        "warehouse": code,
        "forecast": [
            {
                "warehouse": row.warehouse,
                "available": row.available,
                "per_day": row.per_day,
                "days_of_cover": _cover(row.days_of_cover),
                "stockout_date": row.stockout_date.isoformat() if row.stockout_date else None,
                "note": row.note or (NO_SALES if row.days_of_cover is None else ""),
            }
            for row in rows
        ],
    }
    return ok(data, [product_citation(item)])


# The batch write -------------------------------------------------------------------------------------------
class ReorderPointLine(BaseModel):
    product: str = Field(description="SKU or product name")
    reorder_point: int | None = Field(
        default=None, description="the new reorder point; leave out to use the reorder plan's suggested value"
    )
    expected: int | None = Field(
        default=None, description="leave out: the reorder point when the change was proposed, filled in then"
    )


class Suggestion(NamedTuple):
    reorder_point: int  # the product's: its stock over all warehouses is what the low-stock report compares
    parts: list[tuple[str, int]]  # (warehouse, its suggested point), for the warehouses that sold it


def suggestions(ctx: AgentContext, skus: list[str]) -> dict[str, Suggestion]:
    """The suggested reorder point of each SKU that sold in 90 days (the plan's per product: the sum of its
    warehouses' points); a SKU without sales has none."""
    plan = planner(ctx).reorder_plan(ctx.org_id, skus=skus)
    parts: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for row in sorted(plan.rows, key=lambda r: r.warehouse):
        if row.days_of_cover is not None:
            parts[row.sku].append((row.warehouse, row.suggested_reorder_point))
    return {sku: Suggestion(plan.reorder_points[sku], found) for sku, found in parts.items() if sku in skus}


def _line(item: Any) -> ReorderPointLine:
    return item if isinstance(item, ReorderPointLine) else ReorderPointLine.model_validate(item)


@tool(response_format="content_and_artifact")
def set_reorder_points(changes: list[ReorderPointLine], runtime: Runtime) -> Result:
    """Set the reorder points of several products at once, e.g. to the values a reorder plan suggests: one
    confirmation for the batch, and all or nothing. Each change names a product (SKU or name) and its new reorder
    point; leave the reorder point out to use the suggested value."""
    ctx = runtime.context
    lines = [_line(item) for item in changes]
    try:
        batch = [
            ReorderPointChange(
                sku=resolve_product(ctx, line.product).sku, reorder_point=line.reorder_point, expected=line.expected
            )
            for line in lines
            if line.reorder_point is not None
        ]
        if len(batch) < len(lines):
            return fail("every line needs its reorder point; nothing was changed")
        products = ctx.services.products.set_reorder_points(ctx.org_id, batch)
    except DomainError as exc:
        return fail(exc)
    data = {
        "count": len(products),
        "products": [{"sku": p.sku, "title": p.title, "reorder_point": p.reorder_point} for p in products],
    }
    return ok(data, [product_citation(p) for p in products])


def _validate_batch(args: Args, ctx: AgentContext) -> tuple[Args, str | None]:
    """Each line resolved to its SKU, a left-out value filled in with the suggested one, and the reorder point of
    now recorded as `expected`, so that the confirmed batch runs only on the data it was proposed on."""
    raw = args.get("changes") or []
    if not isinstance(raw, list) or not raw:
        return args, "Which reorder points? Ask for a reorder plan first, or name the products and their values."
    if len(raw) > MAX_REORDER_BATCH:
        return args, f"I can set at most {MAX_REORDER_BATCH} reorder points at once, not {len(raw)}."
    try:
        lines = [_line(item) for item in raw]
    except ValidationError:
        return args, "Each change needs a product and a whole-number reorder point."
    resolved, seen = [], set()
    for number, line in enumerate(lines, 1):
        try:
            product = resolve_product(ctx, line.product)
        except DomainError as exc:
            return args, f"Line {number}: {exc.message}. Nothing was proposed."
        if product.sku in seen:
            return args, f"Line {number} ({product.sku}) names a product twice. Nothing was proposed."
        seen.add(product.sku)
        resolved.append((number, line, product))
    suggested = suggestions(ctx, sorted(seen)) if any(line.reorder_point is None for _, line, _ in resolved) else {}
    changes = []
    for number, line, product in resolved:
        value = line.reorder_point
        if value is None:
            if product.sku not in suggested:
                return args, (
                    f"Line {number} ({product.sku} {product.title}): {NO_SALES}, so there is no suggested reorder "
                    "point; give a value for it. Nothing was proposed."
                )
            value = suggested[product.sku].reorder_point
        if value < 0:
            return args, f"Line {number} ({product.sku}): a reorder point cannot be negative. Nothing was proposed."
        changes.append({"product": product.sku, "reorder_point": value, "expected": product.reorder_point})
    args["changes"] = changes
    return args, None


def _describe_batch(args: Args, ctx: AgentContext) -> str:
    changes = args["changes"]
    skus = [line["product"] for line in changes]
    products = ctx.services.products.get_many(ctx.org_id, skus)
    suggested = suggestions(ctx, skus)
    as_suggested = all(
        line["product"] in suggested and line["reorder_point"] == suggested[line["product"]].reorder_point
        for line in changes
    )
    lines = []
    for line in changes:
        product = products.get(line["product"])
        title = f" ({product.title})" if product else ""
        parts = suggested[line["product"]].parts if as_suggested else []
        why = f", {' + '.join(f'{w} {p}' for w, p in parts)}" if len(parts) > 1 else ""
        lines.append(f"- {line['product']}{title}: {line['expected']} -> {line['reorder_point']}{why}")
    count = len(changes)
    head = f"Set {'these' if count > 1 else 'this'} {count} reorder point{'s' if count > 1 else ''}"
    head += " to the suggested values" if as_suggested else ""
    return head + " (all or nothing):\n" + "\n".join(lines)


def _batch_documents(args: Args, result: Any) -> list[str]:
    return [f"product:{line['product']}" for line in args["changes"]]  # their reorder points changed


REORDER_PLAN = ToolSpec(reorder_plan, label="a reorder plan", running="Planning reorders", done="Planned reorders")
REBALANCE_PLAN = ToolSpec(
    rebalance_plan,
    label="transfers to even out stock",
    running="Planning transfers between warehouses",
    done="Planned transfers between warehouses",
)
STOCKOUT_FORECAST = ToolSpec(
    stockout_forecast,
    label="when a product runs out",
    running="Forecasting the stockout",
    done="Forecast the stockout",
)
SET_REORDER_POINTS = ToolSpec(
    set_reorder_points,
    label="several reorder points at once",
    running="Reorder points change",
    done="Reorder points change",
    writes=True,
    validate=_validate_batch,
    describe=_describe_batch,
    reindex=_batch_documents,
)
