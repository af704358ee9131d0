"""One skill record per tool: how its arguments come from a request (the slots, the dialogue state) and how its
result is written. The classifier (`classifier.py`, trained on `examples.py`) says which skill a request is for;
a skill returns the tool call's arguments, or one short question when a detail is missing."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from assistant import tools
from assistant.offline import render
from assistant.offline.examples import EXAMPLES
from assistant.offline.slots import COUNTRIES, ONE_OF_THEM, Slots
from assistant.offline.state import DialogueState
from assistant.tools import ToolSpec
from assistant.tools.planning import REBALANCE_PLAN, REORDER_PLAN, SET_REORDER_POINTS, STOCKOUT_FORECAST
from domain.catalog import OUR_SKU
from domain.resolver import tokens

Args = dict[str, Any] | list[dict[str, Any]] | str  # one call, several calls of the tool, or a question


@dataclass(frozen=True)
class Request:
    text: str
    slots: Slots  # what this message says
    merged: Slots  # ...with the gaps filled from earlier messages
    state: DialogueState
    follow_up: bool  # the message continues the last request ("and in Durban?", "same but from Italy")


@dataclass(frozen=True)
class Skill:
    """One tool as the offline model uses it: requests it answers (the classifier's training examples), how its
    arguments come from a request, and how its result is written. Its name, whether it writes and its label
    ("do you want ... or ...?") are the tool's (the registry's record)."""

    spec: ToolSpec
    arguments: Callable[[Request], Args]
    render: Callable[[dict[str, Any], dict[str, Any]], str]  # (tool result, call arguments) -> answer

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def write(self) -> bool:
        return self.spec.writes

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def examples(self) -> list[str]:
        return EXAMPLES[self.name]


def product_phrase(slots: Slots, counted: bool = False) -> str:
    """The words of a request that can name a product (the resolver drops request words like "how many").
    `counted`: the request's first bare number is a number of units ("move 4 dome tents"), not part of the name."""
    text = re.sub(r"(?<![\w.])\d+\s?x\b|\bx\s?\d+\b", " ", slots.rest, flags=re.IGNORECASE)
    if counted and slots.quantities:
        text = re.sub(rf"(?<![\w.,]){slots.quantities[0]}(?![\w.,])", " ", text, count=1)
    words, attributes = tokens(text)
    return " ".join(text.split()) if words or [a for a in attributes if not a.startswith("#")] else ""


def _one_warehouse(request: Request) -> str | None:
    if len(request.slots.warehouses) == 1:
        return request.slots.warehouses[0]
    if not request.slots.warehouses and (request.follow_up or request.state.choices):
        return request.state.args_by_tool.get(request.state.last_tool or "", {}).get("warehouse")
    return None


def stock_args(request: Request) -> Args:
    slots, state = request.slots, request.state
    warehouse = _one_warehouse(request)
    extra = {"warehouse": warehouse} if warehouse else {}
    if slots.skus:
        return (
            [{"product": sku, **extra} for sku in slots.skus[:8]]
            if len(slots.skus) > 1
            else {
                "product": slots.skus[0],
                **extra,
            }
        )
    if phrase := product_phrase(slots):
        return {"product": _among_shown(request, phrase), **extra}
    if state.products and (slots.refers_back or request.follow_up):
        return [{"product": sku, **extra} for sku in state.products[:8]]
    previous = state.args_by_tool.get("stock_level")
    if previous and request.follow_up:
        return {**previous, **extra}
    return "Which product? Give me the SKU (for example BV-TENT-0001) or its name with the size or colour."


def low_stock_args(request: Request) -> Args:
    warehouse = _one_warehouse(request)
    return {"warehouse": warehouse} if warehouse else {}


def find_products_args(request: Request) -> Args:
    return {"query": _among_shown(request, product_phrase(request.slots) or request.text)}


def _among_shown(request: Request, phrase: str) -> str:
    """ "the tan one" after a list of products (a search, or a name that matched several): the name asked for
    then, with the detail named now."""
    last = request.state.last_tool
    shown = request.state.last_args.get({"find_products": "query", "stock_level": "product"}.get(last or "", ""))
    picking = request.state.choices or ONE_OF_THEM.search(request.text)
    if isinstance(shown, str) and not OUR_SKU.search(shown) and picking:
        return f"{shown} {phrase}"
    return phrase


def order_number(request: Request) -> int | None:
    return request.slots.order_number or request.merged.order_number or request.state.order_number


def get_order_args(request: Request) -> Args:
    number = order_number(request)
    return {"order_number": number} if number else "Which order? Give me its number, for example 1042."


def list_orders_args(request: Request) -> Args:
    slots = request.slots
    args = {"status": slots.status, "channel": slots.channel, "days": slots.days}
    if len(slots.warehouses) == 1:
        args["warehouse"] = slots.warehouses[0]
    if request.follow_up and request.state.last_tool == "list_orders":
        args = {**request.state.last_args, **{k: v for k, v in args.items() if v}}
    return {k: v for k, v in args.items() if v}


def sales_args(request: Request) -> Args:
    days = request.slots.days
    if days is None and request.follow_up and request.slots.quantities:
        days = request.slots.quantities[0]  # "make it 30": the one number of a period is its days
    if days is None and request.follow_up:
        days = request.state.args_by_tool.get("sales_summary", {}).get("days")
    return {"days": days or 30}


def shipments_args(request: Request) -> Args:
    slots = request.slots
    args: dict[str, Any] = {}
    if slots.shipment_status:
        args["status"] = slots.shipment_status
    if slots.country and re.search(r"\b(from|ex|out of|coming|van)\b", request.text, re.IGNORECASE):
        args["origin_country"] = slots.country
    if slots.to_warehouse:
        args["warehouse"] = slots.to_warehouse
    return args


def _goods(request: Request) -> str:
    if request.slots.hs_code:
        return request.slots.hs_code
    goods = re.sub(r"[\d.,$€£%]+", " ", request.slots.rest)
    goods = re.sub(rf"\b(?:{'|'.join(COUNTRIES.values())})\b", " ", goods, flags=re.IGNORECASE)  # the origin
    return " ".join(goods.split()) or request.text


def duty_args(request: Request) -> Args:
    slots = request.slots
    previous = request.state.args_by_tool.get("hs_duty_lookup") if request.follow_up else None
    args: dict[str, Any] = {"query": slots.hs_code or (previous or {}).get("query") or _goods(request)}
    if slots.hs_code is None and not previous:
        args["query"] = _goods(request)
    country = slots.country or (previous or {}).get("origin_country")
    if country:
        args["origin_country"] = country
    return args


def landed_args(request: Request) -> Args:
    slots, state = request.slots, request.state
    previous: dict[str, Any] = {}
    source = slots
    if state.asked == "landed_cost" and state.asked_slots is not None:
        source = slots.merged_over(state.asked_slots)  # the answer to our question, over the request it completes
    elif request.follow_up:
        previous = dict(state.args_by_tool.get("landed_cost", {}))
    args = dict(previous)
    if source.money:
        amount, currency = source.money
        units = next((q for q in source.quantities if q != int(amount)), None)
        if units:
            args["quantity"] = units
        quantity = args.get("quantity", 1)
        args["fob_value"] = round(amount * quantity, 2) if source.per_unit else amount
        args["currency"] = currency
    elif source.quantities and previous:
        args["quantity"] = source.quantities[0]
    if not source.money and source.currency and previous:
        args["currency"] = source.currency  # "use EUR instead": the same amount in another currency
    if source.hs_code or not previous:
        # the goods are named in the request itself, or in the one our question completes
        named = state.asked_slots if state.asked == "landed_cost" and state.asked_slots is not None else slots
        args["goods"] = source.hs_code or _goods(Request(request.text, named, request.merged, state, request.follow_up))
    if source.country:
        args["origin_country"] = source.country
    for key, value in (("freight_zar", source.freight), ("insurance_zar", source.insurance)):
        if value:
            args[key] = value[0]
            if value[1] != "ZAR":
                args["freight_currency"] = value[1]
    if "fob_value" not in args:
        return "What is the FOB value of the goods, with its currency (for example USD 2 400)?"
    args.setdefault("quantity", 1)
    if not args.get("origin_country"):
        return (
            "Where do the goods come from? The duty rate depends on the country of origin (for example China or "
            "Italy), so I won't assume it."
        )
    return args


def kb_args(request: Request) -> Args:
    return {"query": request.text}


def transfer_args(request: Request) -> Args:
    slots, state = request.slots, request.state
    product = (
        slots.skus[0] if slots.skus else product_phrase(slots, True) or (state.products[0] if state.products else "")
    )
    if not product:
        return "Which product should I move? Give me the SKU or its name."
    if len(state.products) > 1 and not slots.skus and not product_phrase(slots) and slots.refers_back:
        return "Which of those products should I move? Give me the SKU."
    quantity = slots.quantities[0] if slots.quantities else None
    if quantity is None:
        return f"How many units of {product} should I move?"
    to = slots.to_warehouse or (slots.warehouses[-1] if slots.warehouses else None)
    source = slots.from_warehouse or next((w for w in slots.warehouses if w != to), None)
    source = source or (state.warehouse if state.warehouse != to else None)
    if not to or not source:
        return f"From which warehouse to which (JHB, CPT or DBN) should I move {quantity} x {product}?"
    return {"sku": product, "from_warehouse": source, "to_warehouse": to, "quantity": quantity}


REMOVING = re.compile(
    r"\b(write[- ]?off|write (?:\w+ ){1,2}off|writeoff|damaged?|broken|remove|lost|stolen|missing|down by|down \d|"
    r"less|fewer|take .* off|"
    r"skryf .* af|beskadig)\b",
    re.IGNORECASE,
)
REASONS = {
    "damaged": r"damage|broken|beskadig",
    "stolen": r"stolen|theft|gesteel|nicked|pinched|shoplifted",
    "lost": r"lost|missing",
    "found": r"found|extra|more",
}


def adjust_args(request: Request) -> Args:
    slots, state = request.slots, request.state
    product = (
        slots.skus[0] if slots.skus else product_phrase(slots, True) or (state.products[0] if state.products else "")
    )
    quantity = slots.quantities[0] if slots.quantities else None
    warehouse = slots.warehouses[0] if slots.warehouses else state.warehouse
    if not product or quantity is None or not warehouse:
        return "To adjust stock I need the product (SKU or name), the warehouse and the number of units."
    reason = next((r for r, p in REASONS.items() if re.search(p, request.text, re.IGNORECASE)), "count correction")
    minus = re.search(rf"(?:^|\s)-\s?{quantity}\b", request.text)  # "-2": the count itself written negative
    sign = -1 if REMOVING.search(request.text) or minus else 1
    return {"sku": product, "warehouse": warehouse, "quantity": sign * quantity, "reason": reason}


def reorder_args(request: Request) -> Args:
    slots, state = request.slots, request.state
    product = slots.skus[0] if slots.skus else product_phrase(slots) or (state.products[0] if state.products else "")
    # the last number is the new point, also when it follows a name ("reorder level braai grid 25")
    numbers = slots.quantities or [int(n) for n in re.findall(r"(?<![\w.,-])(\d{1,5})\s*[.!?]?\s*$", request.text)]
    if not product or not numbers:
        return "Which product (SKU or name), and what should its reorder point be?"
    return {"sku": product, "reorder_point": numbers[-1]}


def status_args(request: Request) -> Args:
    number = order_number(request)
    if number is None:
        return "Which order? Give me its number, for example 1042."
    status = request.slots.status
    if status is None:
        return f"Which status should order {number} get: confirmed, picking, shipped or delivered?"
    return {"order_number": number, "status": status}


def cancel_args(request: Request) -> Args:
    number = order_number(request)
    return {"order_number": number} if number else "Which order should I cancel? Give me its number."


# Words of a planning request, never of a product name ("when will the tan boots run out", "rebalance the
# headlamps between warehouses"): dropped before the rest of the request is read as a product.
PLAN_WORDS = re.compile(
    r"\b(?:re-?balanc\w*|balanc\w*|even(?:ing)? out|redistribut\w*|spread|between|transfers?|moves?|shift|"
    r"another|other|elsewhere|overstock\w*|too much|spare|excess|plans?|planning|suggest\w*|recommend\w*|"
    r"run(?:s|ning)? (?:out|dry|short)|ran out|sell(?:s|ing)? out|sold out|stock-?outs?|out of stock|be out|"
    r"days? of cover|cover|forecast\w*|how long|until|till|last|when|will|going|expected|date|by what|rate|"
    r"per day|a day|daily|demand|wanneer|raak|we're|we'll|it'll)\b",
    re.IGNORECASE,
)
# "set these to the suggested values": the plan's values, whatever number the request also names ("these 12")
SUGGESTED = re.compile(r"\b(?:suggest\w*|recommend\w*|propos\w*|plan'?s?|voorgestel\w*)\b", re.IGNORECASE)


def _plan_slots(slots: Slots) -> Slots:
    return replace(slots, rest=PLAN_WORDS.sub(" ", slots.rest))


def _weeks(days: int | None) -> int | None:
    """A period of a week or more as whole weeks ("the next 6 weeks", "a month": 4); a day or two is no horizon."""
    return None if days is None or days < 7 else min(26, max(1, round(days / 7)))


def reorder_plan_args(request: Request) -> Args:
    args: dict[str, Any] = {}
    if request.follow_up:
        args = dict(request.state.args_by_tool.get(REORDER_PLAN.name, {}))  # "and for 8 weeks?"
    weeks = _weeks(request.slots.days)
    if weeks is None and request.follow_up and request.slots.quantities:
        weeks = _weeks(request.slots.quantities[0] * 7)  # "make it 6": the one number of a horizon is weeks
    if weeks:
        args["weeks"] = weeks
    if warehouse := _one_warehouse(request):
        args["warehouse"] = warehouse
    return args


def stockout_args(request: Request) -> Args:
    slots, state = _plan_slots(request.slots), request.state
    warehouse = _one_warehouse(request)
    extra = {"warehouse": warehouse} if warehouse else {}
    if slots.skus:
        return {"product": slots.skus[0], **extra}
    if phrase := product_phrase(slots):
        return {"product": _among_shown(request, phrase), **extra}
    if state.products and (slots.refers_back or request.follow_up):
        return {"product": state.products[0], **extra}
    previous = state.args_by_tool.get(STOCKOUT_FORECAST.name)
    if previous and request.follow_up:
        return {**previous, **extra}
    return "Which product? Give me the SKU (for example BV-TENT-0001) or its name with the size or colour."


def rebalance_args(request: Request) -> Args:
    slots, state = _plan_slots(request.slots), request.state
    if slots.skus:
        return {"product": slots.skus[0]}
    if phrase := product_phrase(slots):
        return {"product": phrase}
    if slots.refers_back and len(state.products) == 1:
        return {"product": state.products[0]}  # "rebalance it"
    return {}


def reorder_points_args(request: Request) -> Args:
    """The products of the plan (or list) just shown, to their suggested values; or SKUs named with a value each."""
    slots, state = request.slots, request.state
    suggested = bool(SUGGESTED.search(request.text))
    if len(slots.skus) > 1 and len(slots.quantities) == len(slots.skus) and not suggested:
        pairs = zip(slots.skus, slots.quantities, strict=True)
        return {"changes": [{"product": sku, "reorder_point": value} for sku, value in pairs]}
    products = list(dict.fromkeys(slots.skus or state.products))  # a plan has a row per warehouse
    if not products:
        return (
            'Which reorder points? Ask me for a reorder plan first ("what should I reorder?"), then say "set '
            'these reorder points to the suggested values".'
        )
    value = slots.quantities[0] if len(slots.quantities) == 1 and not suggested else None
    changes = [{"product": sku, **({"reorder_point": value} if value is not None else {})} for sku in products]
    return {"changes": changes}


def _result(write: Callable[[dict[str, Any]], str]) -> Callable[[dict[str, Any], dict[str, Any]], str]:
    return lambda data, args: write(data)


def _stock(data: dict[str, Any], args: dict[str, Any]) -> str:
    return render.stock(data, [args["warehouse"]] if args.get("warehouse") else [])


def _knowledge(data: dict[str, Any], args: dict[str, Any]) -> str:
    raise NotImplementedError("help-centre answers need the encoder: OfflineChatModel writes them")


SKILLS: dict[str, Skill] = {
    s.name: s
    for s in [
        Skill(tools.STOCK_LEVEL, stock_args, _stock),
        Skill(tools.LOW_STOCK_REPORT, low_stock_args, _result(render.low_stock)),
        Skill(tools.FIND_PRODUCTS, find_products_args, _result(render.products)),
        Skill(tools.GET_ORDER, get_order_args, _result(render.order)),
        Skill(tools.LIST_ORDERS, list_orders_args, _result(render.orders)),
        Skill(tools.SALES_SUMMARY, sales_args, _result(render.sales)),
        Skill(tools.LIST_SHIPMENTS, shipments_args, _result(render.shipments)),
        Skill(tools.HS_DUTY_LOOKUP, duty_args, _result(render.duty)),
        Skill(tools.LANDED_COST, landed_args, _result(render.landed_cost)),
        Skill(tools.CREDITS_BALANCE, lambda request: {}, _result(render.credits)),
        Skill(REORDER_PLAN, reorder_plan_args, _result(render.reorder_plan)),
        Skill(REBALANCE_PLAN, rebalance_args, _result(render.rebalance_plan)),
        Skill(STOCKOUT_FORECAST, stockout_args, _result(render.stockout_forecast)),
        Skill(tools.SEARCH_KNOWLEDGE_BASE, kb_args, _knowledge),
        Skill(tools.TRANSFER_STOCK, transfer_args, _result(render.transferred)),
        Skill(tools.ADJUST_STOCK, adjust_args, _result(render.adjusted)),
        Skill(tools.SET_REORDER_POINT, reorder_args, _result(render.reorder_point_set)),
        Skill(SET_REORDER_POINTS, reorder_points_args, _result(render.reorder_points_set)),
        Skill(tools.UPDATE_ORDER_STATUS, status_args, _result(render.order_changed)),
        Skill(tools.CANCEL_ORDER, cancel_args, _result(render.order_changed)),
    ]
}
WRITE_SKILLS = frozenset(name for name, skill in SKILLS.items() if skill.write)
