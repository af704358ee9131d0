"""Slot extraction: the concrete things a request names (SKUs, order numbers, quantities, warehouses, HS codes,
money, countries, periods, statuses, channels), found with patterns that tolerate everyday phrasing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SKU = re.compile(r"\b([A-Z]{2}-[A-Z]+-\d{1,4})\b", re.IGNORECASE)
ORDER = re.compile(r"(?:\border\s*(?:number|no\.?|#)?\s*#?|#)\s*(\d{3,6})\b|\b(1\d{3})\b", re.IGNORECASE)
HS = re.compile(
    r"\b(?:hs\s*(?:code)?\s*)?(\d{4}\.\d{2}(?:\.\d{2})?|\d{4}(?=\s*(?:hs|heading|tariff)))\b", re.IGNORECASE
)
HS_WORD = re.compile(r"\bhs\s*(?:code)?\s*(\d{4,8})\b", re.IGNORECASE)
MONEY = re.compile(
    r"(?:(?P<cur1>usd|us\$|\$|eur|€|gbp|£|cny|rmb|¥|zar|r)\s?(?P<amt1>\d[\d ,]*(?:\.\d+)?)"
    r"|(?P<amt2>\d[\d ,]*(?:\.\d+)?)\s?(?P<cur2>usd|dollars?|eur|euros?|gbp|pounds?|cny|rmb|yuan|zar|rand))",
    re.IGNORECASE,
)
CURRENCIES = {
    "usd": "USD",
    "us$": "USD",
    "$": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "eur": "EUR",
    "€": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "gbp": "GBP",
    "£": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
    "cny": "CNY",
    "rmb": "CNY",
    "¥": "CNY",
    "yuan": "CNY",
    "zar": "ZAR",
    "r": "ZAR",
    "rand": "ZAR",
}
WAREHOUSES = {
    "JHB": r"johannesburg|joburg|jozi|jhb|midrand|gauteng|jo'burg",
    "CPT": r"cape\s*town|capetown|cpt|the cape|western cape|montague gardens",
    "DBN": r"durban|dbn|kzn|kwazulu|pinetown|ethekwini",
}
COUNTRIES = {
    "CN": r"china|chinese|ningbo|shenzhen|guangzhou|shanghai|yiwu",
    "IT": r"italy|italian|milan",
    "FR": r"france|french|paris",
    "DE": r"germany|german",
    "GB": r"united kingdom|\buk\b|britain|england",
    "US": r"united states|\busa\b|america",
    "IN": r"india|indian",
    "VN": r"vietnam",
    "TR": r"turkey|türkiye",
}
STATUSES = {
    "pending": r"pending|new|unconfirmed",
    "confirmed": r"confirmed",
    "picking": r"picking|being picked|pick(?:ed)? list",
    "shipped": r"shipped|dispatched|sent out|in the post|on its way",
    "delivered": r"delivered|received by|arrived",
    "cancelled": r"cancell?ed|voided",
    "returned": r"returned|sent back",
}
SHIPMENT_STATUSES = {
    "at_customs": r"customs|clearance|held at",
    "in_transit": r"in transit|at sea|on the water|sailing",
    "booked": r"booked",
    "cleared": r"cleared",
    "delivered": r"delivered|arrived",
}
CHANNELS = {"takealot": r"takealot|tal\b", "amazon": r"amazon", "webshop": r"web\s*shop|website|own shop|online store"}
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "fifty": 50,
    "hundred": 100,
}


@dataclass
class Slots:
    skus: list[str] = field(default_factory=list)
    order_number: int | None = None
    quantities: list[int] = field(default_factory=list)
    warehouses: list[str] = field(default_factory=list)  # in the order they are named
    from_warehouse: str | None = None
    to_warehouse: str | None = None
    hs_code: str | None = None
    money: tuple[float, str] | None = None
    country: str | None = None
    days: int | None = None
    status: str | None = None
    shipment_status: str | None = None
    channel: str | None = None
    refers_back: bool = False  # "it", "that order", "there": the request leans on the conversation

    def merged_over(self, older: Slots) -> Slots:
        """These slots, with the gaps filled from an earlier turn."""
        merged = Slots(**{k: v for k, v in vars(older).items()})
        for key, value in vars(self).items():
            if value not in (None, [], False):
                setattr(merged, key, value)
        if self.warehouses and not (self.from_warehouse or self.to_warehouse):
            merged.from_warehouse, merged.to_warehouse = older.from_warehouse, older.to_warehouse
        return merged


def _find_warehouse(text: str) -> list[tuple[int, str]]:
    found = []
    for code, pattern in WAREHOUSES.items():
        for match in re.finditer(rf"\b(?:{pattern})\b", text, re.IGNORECASE):
            found.append((match.start(), code))
    return sorted(found)


def extract(text: str) -> Slots:
    slots = Slots()
    lowered = text.lower()
    slots.skus = [m.upper() for m in SKU.findall(text)]
    masked = SKU.sub(" ", text)
    if money := MONEY.search(masked):
        amount = (money.group("amt1") or money.group("amt2")).replace(",", "").replace(" ", "")
        currency = (money.group("cur1") or money.group("cur2")).lower()
        if currency != "r" or re.search(r"\bR\s?\d", masked):
            slots.money = (float(amount), CURRENCIES.get(currency, "ZAR"))
            masked = masked[: money.start()] + " " + masked[money.end() :]
    hs = HS.search(masked) or HS_WORD.search(masked)
    if hs:
        slots.hs_code = hs.group(1)
        masked = masked[: hs.start()] + " " + masked[hs.end() :]
    if order := ORDER.search(masked):
        slots.order_number = int(order.group(1) or order.group(2))
        masked = masked[: order.start()] + " " + masked[order.end() :]
    located = _find_warehouse(text)
    slots.warehouses = list(dict.fromkeys(code for _, code in located))
    for position, code in located:
        before = lowered[max(0, position - 12) : position]
        if re.search(r"\b(from|out of)\s+(the\s+)?$", before):
            slots.from_warehouse = code
        elif re.search(r"\b(to|into|towards)\s+(the\s+)?$", before):
            slots.to_warehouse = code
    if period := re.search(r"\b(?:last|past|previous)\s+(\d+|\w+)\s+(day|week|month)s?\b", lowered):
        count = int(period.group(1)) if period.group(1).isdigit() else NUMBER_WORDS.get(period.group(1), 1)
        slots.days = count * {"day": 1, "week": 7, "month": 30}[period.group(2)]
    elif re.search(r"\b(?:last|past|previous)\s+(week|month|quarter|year)\b", lowered):
        unit = re.search(r"\b(?:last|past|previous)\s+(week|month|quarter|year)\b", lowered).group(1)
        slots.days = {"week": 7, "month": 30, "quarter": 90, "year": 365}[unit]
    elif re.search(r"\bthis week\b", lowered):
        slots.days = 7
    elif re.search(r"\bthis month\b", lowered):
        slots.days = 30
    elif re.search(r"\btoday\b", lowered):
        slots.days = 1
    elif re.search(r"\byesterday\b", lowered):
        slots.days = 2
    masked = re.sub(r"\b(?:last|past|previous|next)\s+\d+\s+\w+", " ", masked, flags=re.IGNORECASE)
    slots.quantities = [int(n) for n in re.findall(r"(?<![\w.-])(\d{1,6})(?![\w.%-])", masked)]
    for word, value in NUMBER_WORDS.items():
        if re.search(rf"\b{word}\b", lowered) and value not in slots.quantities:
            slots.quantities.append(value)
    for code, pattern in COUNTRIES.items():
        if re.search(rf"\b(?:{pattern})", lowered):
            slots.country = code
            break
    for status, pattern in STATUSES.items():
        if re.search(rf"\b(?:{pattern})\b", lowered):
            slots.status = status
            break
    for status, pattern in SHIPMENT_STATUSES.items():
        if re.search(rf"\b(?:{pattern})\b", lowered):
            slots.shipment_status = status
            break
    for channel, pattern in CHANNELS.items():
        if re.search(rf"\b(?:{pattern})", lowered):
            slots.channel = channel
            break
    slots.refers_back = bool(
        re.search(
            r"\b(it|its|that one|this one|that order|this order|the order|there|them|that product|same)\b", lowered
        )
    )
    return slots
