"""Writes to stock and products: adjust, transfer, set a reorder point. The agent only proposes them; they run
after the user confirms (the human-in-the-loop middleware of `assistant/agent.py`)."""

from __future__ import annotations

from typing import Any

from langchain.tools import tool

from assistant.tools.context import (
    AgentContext,
    Result,
    Runtime,
    fail,
    ok,
    product_citation,
    resolve_product,
    warehouse_of,
)
from assistant.tools.spec import Args, ToolSpec
from domain.errors import DomainError


@tool(response_format="content_and_artifact")
def adjust_stock(sku: str, warehouse: str, quantity: int, reason: str, runtime: Runtime) -> Result:
    """Add (positive quantity) or remove (negative) units on hand in one warehouse, with a reason. `sku` is a SKU or
    a product name with its variant."""
    ctx = runtime.context
    try:
        item, code = resolve_product(ctx, sku), warehouse_of(ctx, warehouse)
        level = ctx.services.inventory.adjust(ctx.org_id, item.sku, code, quantity, reason, actor=ctx.actor)
    except DomainError as exc:
        return fail(exc)
    return ok({"sku": level.sku, "warehouse": level.warehouse, "on_hand": level.on_hand, "available": level.available})


def _validate_adjust(args: Args, ctx: AgentContext) -> tuple[Args, str | None]:
    product = resolve_product(ctx, str(args["sku"]))
    args["sku"], args["warehouse"] = product.sku, warehouse_of(ctx, str(args["warehouse"]))
    quantity = int(args["quantity"])
    level = ctx.services.inventory.level(ctx.org_id, args["sku"], args["warehouse"])
    if quantity == 0:
        return args, "An adjustment needs a number of units other than 0."
    if level.on_hand + quantity < level.reserved:
        return args, (
            f"I can't remove {-quantity} x {product.sku} in {level.warehouse}: {level.on_hand} on hand, of "
            f"which {level.reserved} reserved for orders ({level.available} available). Nothing was changed."
        )
    return args, None


def _describe_adjust(args: Args, ctx: AgentContext) -> str:
    level = ctx.services.inventory.level(ctx.org_id, args["sku"], args["warehouse"])
    change = f"add {args['quantity']}" if int(args["quantity"]) > 0 else f"remove {-int(args['quantity'])}"
    return (
        f"{change.capitalize()} x {level.sku} in {level.warehouse} ({level.on_hand} on hand now), "
        f"reason: {args.get('reason', '')}."
    )


@tool(response_format="content_and_artifact")
def transfer_stock(sku: str, from_warehouse: str, to_warehouse: str, quantity: int, runtime: Runtime) -> Result:
    """Move available units of one product (SKU or name with its variant) from one warehouse to another (JHB, CPT,
    DBN) in one step."""
    ctx = runtime.context
    try:
        item = resolve_product(ctx, sku)
        source, destination = warehouse_of(ctx, from_warehouse), warehouse_of(ctx, to_warehouse)
        result = ctx.services.inventory.transfer(ctx.org_id, item.sku, source, destination, quantity, actor=ctx.actor)
    except DomainError as exc:
        return fail(exc)
    return ok(
        {
            "sku": result.sku,
            "quantity": result.quantity,
            "from": {"warehouse": result.source.warehouse, "available": result.source.available},
            "to": {"warehouse": result.destination.warehouse, "available": result.destination.available},
        }
    )


def _validate_transfer(args: Args, ctx: AgentContext) -> tuple[Args, str | None]:
    product = resolve_product(ctx, str(args["sku"]))
    args["sku"] = product.sku
    for key in ("from_warehouse", "to_warehouse"):
        args[key] = warehouse_of(ctx, str(args[key]))
    quantity = int(args["quantity"])
    source = ctx.services.inventory.level(ctx.org_id, args["sku"], args["from_warehouse"])
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
    return args, None


def _describe_transfer(args: Args, ctx: AgentContext) -> str:
    source = ctx.services.inventory.level(ctx.org_id, args["sku"], args["from_warehouse"])
    return (
        f"Move {args['quantity']} x {source.sku} from {source.warehouse} to {args['to_warehouse']} "
        f"({source.available} available in {source.warehouse} now)."
    )


@tool(response_format="content_and_artifact")
def set_reorder_point(sku: str, reorder_point: int, runtime: Runtime) -> Result:
    """Set the available-stock level below which a product (SKU or name) shows in the low-stock report."""
    ctx = runtime.context
    try:
        product = ctx.services.products.set_reorder_point(ctx.org_id, resolve_product(ctx, sku).sku, reorder_point)
    except DomainError as exc:
        return fail(exc)
    return ok({"sku": product.sku, "reorder_point": product.reorder_point}, [product_citation(product)])


def _validate_reorder_point(args: Args, ctx: AgentContext) -> tuple[Args, str | None]:
    args["sku"] = resolve_product(ctx, str(args["sku"])).sku
    if int(args["reorder_point"]) < 0:
        return args, "A reorder point cannot be negative."
    return args, None


def _describe_reorder_point(args: Args, ctx: AgentContext) -> str:
    product = ctx.services.products.get(ctx.org_id, args["sku"])
    return (
        f"Set the reorder point of {product.sku} ({product.title}) from {product.reorder_point} "
        f"to {args['reorder_point']}."
    )


def _product_document(args: Args, result: Any) -> list[str]:
    return [f"product:{args['sku']}"]  # its stock or reorder point changed


ADJUST_STOCK = ToolSpec(
    adjust_stock,
    label="a stock adjustment",
    running="Stock adjustment",
    done="Stock adjustment",
    writes=True,
    validate=_validate_adjust,
    describe=_describe_adjust,
    reindex=_product_document,
)
TRANSFER_STOCK = ToolSpec(
    transfer_stock,
    label="a stock transfer",
    running="Stock transfer",
    done="Stock transfer",
    writes=True,
    validate=_validate_transfer,
    describe=_describe_transfer,
    reindex=_product_document,
)
SET_REORDER_POINT = ToolSpec(
    set_reorder_point,
    label="a reorder point",
    running="Reorder point change",
    done="Reorder point change",
    writes=True,
    validate=_validate_reorder_point,
    describe=_describe_reorder_point,
    reindex=_product_document,
)
