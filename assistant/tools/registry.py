"""The registry: the one list of the agent's tools. The agent, its human-in-the-loop middleware, the chat service,
the offline model's skills and the UI's labels all read it; adding a tool means its own module, a line here and
its skill record (`assistant/offline/skills.py`, `examples.py`)."""

from __future__ import annotations

from langchain_core.tools import BaseTool

from assistant.tools.catalogue import FIND_PRODUCTS, LOW_STOCK_REPORT, STOCK_LEVEL
from assistant.tools.credits import CREDITS_BALANCE
from assistant.tools.knowledge import SEARCH_KNOWLEDGE_BASE
from assistant.tools.order_writes import CANCEL_ORDER, UPDATE_ORDER_STATUS
from assistant.tools.orders import GET_ORDER, LIST_ORDERS, SALES_SUMMARY
from assistant.tools.planning import REBALANCE_PLAN, REORDER_PLAN, SET_REORDER_POINTS, STOCKOUT_FORECAST
from assistant.tools.spec import ToolSpec
from assistant.tools.stock_writes import ADJUST_STOCK, SET_REORDER_POINT, TRANSFER_STOCK
from assistant.tools.trade import HS_DUTY_LOOKUP, LANDED_COST, LIST_SHIPMENTS

TOOLS: tuple[ToolSpec, ...] = (
    SEARCH_KNOWLEDGE_BASE,
    FIND_PRODUCTS,
    STOCK_LEVEL,
    LOW_STOCK_REPORT,
    GET_ORDER,
    LIST_ORDERS,
    SALES_SUMMARY,
    LIST_SHIPMENTS,
    HS_DUTY_LOOKUP,
    LANDED_COST,
    CREDITS_BALANCE,
    REORDER_PLAN,
    REBALANCE_PLAN,
    STOCKOUT_FORECAST,
    ADJUST_STOCK,
    TRANSFER_STOCK,
    UPDATE_ORDER_STATUS,
    CANCEL_ORDER,
    SET_REORDER_POINT,
    SET_REORDER_POINTS,
)
BY_NAME: dict[str, ToolSpec] = {spec.name: spec for spec in TOOLS}
ALL_TOOLS: list[BaseTool] = [spec.tool for spec in TOOLS]


def spec_of(name: str) -> ToolSpec | None:
    return BY_NAME.get(name)
