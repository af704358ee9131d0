"""The agent's tools: one record (`ToolSpec`) per tool, in the registry (`registry.TOOLS`)."""

from assistant.tools.catalogue import FIND_PRODUCTS, LOW_STOCK_REPORT, STOCK_LEVEL
from assistant.tools.context import AgentContext, ProductNotResolved, resolve_product
from assistant.tools.credits import CREDITS_BALANCE
from assistant.tools.knowledge import SEARCH_KNOWLEDGE_BASE
from assistant.tools.order_writes import CANCEL_ORDER, UPDATE_ORDER_STATUS
from assistant.tools.orders import GET_ORDER, LIST_ORDERS, SALES_SUMMARY
from assistant.tools.registry import ALL_TOOLS, BY_NAME, TOOLS, spec_of
from assistant.tools.spec import ToolSpec
from assistant.tools.stock_writes import ADJUST_STOCK, SET_REORDER_POINT, TRANSFER_STOCK
from assistant.tools.trade import HS_DUTY_LOOKUP, LANDED_COST, LIST_SHIPMENTS

__all__ = [
    "ADJUST_STOCK",
    "ALL_TOOLS",
    "BY_NAME",
    "CANCEL_ORDER",
    "CREDITS_BALANCE",
    "FIND_PRODUCTS",
    "GET_ORDER",
    "HS_DUTY_LOOKUP",
    "LANDED_COST",
    "LIST_ORDERS",
    "LIST_SHIPMENTS",
    "LOW_STOCK_REPORT",
    "SALES_SUMMARY",
    "SEARCH_KNOWLEDGE_BASE",
    "SET_REORDER_POINT",
    "STOCK_LEVEL",
    "TOOLS",
    "TRANSFER_STOCK",
    "UPDATE_ORDER_STATUS",
    "AgentContext",
    "ProductNotResolved",
    "ToolSpec",
    "resolve_product",
    "spec_of",
]
