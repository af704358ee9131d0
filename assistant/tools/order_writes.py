"""Writes to orders: a status change, a cancellation. Proposed by the agent, run once the user confirms."""

from __future__ import annotations

from typing import Any

from langchain.tools import tool

from assistant.tools.context import AgentContext, Result, Runtime, fail, ok, order_citation, rand
from assistant.tools.spec import Args, ToolSpec
from domain.errors import DomainError
from domain.orders import OPEN_STATUSES, TRANSITIONS, Order, OrderStatus


def _order_change(order: Order) -> dict[str, Any]:
    # the SKUs say which product documents to re-index: their stock moved with the order
    return {"number": order.number, "status": order.status.value, "skus": sorted({line.sku for line in order.lines})}


def _refusal(order: Order, target: OrderStatus, cancelling: bool) -> str | None:
    """Why the order cannot move to `target`, or None when it can."""
    if target in TRANSITIONS[order.status]:
        return None
    allowed = ", ".join(sorted(s.value for s in TRANSITIONS[order.status])) or "none (it is final)"
    verb = "cancelled" if cancelling else f"moved to {target.value}"
    reason = " once it has shipped" if cancelling and order.status not in OPEN_STATUSES else ""
    return (
        f"Order {order.number} is {order.status.value}, so it cannot be {verb}{reason}; allowed next: "
        f"{allowed}. Nothing was changed. [order:{order.number}]"
    )


@tool(response_format="content_and_artifact")
def update_order_status(order_number: int, status: str, runtime: Runtime) -> Result:
    """Move an order along pending -> confirmed -> picking -> shipped -> delivered (or returned after delivery)."""
    ctx = runtime.context
    try:
        order = ctx.services.orders.transition(ctx.org_id, order_number, status, actor=ctx.actor)
    except DomainError as exc:
        return fail(exc)
    return ok(_order_change(order), [order_citation(order)])


def _validate_status(args: Args, ctx: AgentContext) -> tuple[Args, str | None]:
    order = ctx.services.orders.get(ctx.org_id, args["order_number"])
    return args, _refusal(order, OrderStatus(str(args["status"]).lower()), cancelling=False)


def _describe_status(args: Args, ctx: AgentContext) -> str:
    order = ctx.services.orders.get(ctx.org_id, args["order_number"])
    return f"Change order {order.number} from {order.status.value} to {args['status']}."


@tool(response_format="content_and_artifact")
def cancel_order(order_number: int, runtime: Runtime) -> Result:
    """Cancel an order that has not shipped yet; its reserved stock is released."""
    ctx = runtime.context
    try:
        order = ctx.services.orders.cancel(ctx.org_id, order_number, actor=ctx.actor)
    except DomainError as exc:
        return fail(exc)
    return ok(_order_change(order), [order_citation(order)])


def _validate_cancel(args: Args, ctx: AgentContext) -> tuple[Args, str | None]:
    order = ctx.services.orders.get(ctx.org_id, args["order_number"])
    return args, _refusal(order, OrderStatus.cancelled, cancelling=True)


def _describe_cancel(args: Args, ctx: AgentContext) -> str:
    order = ctx.services.orders.get(ctx.org_id, args["order_number"])
    return f"Cancel order {order.number} ({order.status.value}, {rand(order.total_cents)}) and release its stock."


def _order_documents(args: Args, result: Any) -> list[str]:
    """The order's document, and those of its products: their stock moved with the order."""
    skus = result.get("skus", []) if isinstance(result, dict) else []
    return [f"order:{args['order_number']}", *(f"product:{sku}" for sku in skus)]


UPDATE_ORDER_STATUS = ToolSpec(
    update_order_status,
    label="an order status change",
    running="Order status change",
    done="Order status change",
    writes=True,
    validate=_validate_status,
    describe=_describe_status,
    reindex=_order_documents,
)
CANCEL_ORDER = ToolSpec(
    cancel_order,
    label="cancelling an order",
    running="Order cancellation",
    done="Order cancellation",
    writes=True,
    validate=_validate_cancel,
    describe=_describe_cancel,
    reindex=_order_documents,
)
