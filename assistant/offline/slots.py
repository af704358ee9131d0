"""Slot extraction: the concrete things a request names (SKUs, order numbers, quantities, warehouses, HS codes,
money with its role, countries, periods, statuses, channels) and the words left for a product name, using the
normalisers in `normalise.py`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

from assistant.normalise import (
    CHANNELS,
    CURRENCY_NAMED,
    NUMBER_WORDS,
    ORDER_STATUSES,
    SHIPMENT_STATUSES,
    UNIT_DAYS,
    Money,
    currency_named,
    first_match,
    money,
    period_days,
    places,
    plain,
    warehouse_code,
)
from domain.catalog import OUR_SKU, SKU_LIKE
from domain.resolver import NUMBER_WORDS as SIZE_WORDS
from domain.resolver import UNITS, request_word

# The resolver's units (ml, L, lm, person, pack...): a number with one is part of a product name.
_UNITS = "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True))
ORDER = re.compile(
    r"(?:\b(?:order|ord|bestelling|order\s*(?:number|no\.?|nr\.?|#))\s*(?:number|no\.?|nr\.?)?\s*#?\s*|#)(\d{3,6})\b"
    rf"|\b(1\d{{3}})\b(?!\s*-?\s*(?:{_UNITS}|units?|pcs|x)\b)",
    re.IGNORECASE,
)
HS = re.compile(
    r"\b(?:hs\s*(?:code)?\s*|tariff\s*(?:code|heading)?\s*)?(\d{4}\.\d{2}(?:\.\d{2})?|\d{4}(?=\s*(?:hs|heading|tariff)))\b",
    re.IGNORECASE,
)
HS_WORD = re.compile(r"\b(?:hs|tariff)\s*(?:code)?\s*(\d{4,8})\b", re.IGNORECASE)
# Numbers that belong to a product name (sizes, capacities, person counts...), never a quantity.
_SIZE_WORDS = "|".join(sorted(SIZE_WORDS, key=len, reverse=True))  # "two-person", "drie man"
ATTRIBUTE_NUMBER = re.compile(
    rf"(?:\b(?:spf|uk|size|sz)\s*-?\s*\d+(?:[.,]\d+)?\+?)|(?:(?:-?\d+(?:[.,]\d+)?|\b(?:{_SIZE_WORDS}))\s*-?\s*"
    rf"(?:°\s*c|{_UNITS})(?![a-z]))",
    re.IGNORECASE,
)
COUNTRIES = {
    "CN": r"china|chinese|ningbo|shenzhen|guangzhou|shanghai|yiwu|prc",
    "IT": r"italy|italian|milan|genoa|italië",
    "FR": r"france|french|paris|le havre|frankryk",
    "DE": r"germany|german|hamburg|duitsland",
    "GB": r"united kingdom|uk|britain|england|british|london",
    "US": r"united states|usa|america|american",
    "IN": r"india|indian",
    "VN": r"vietnam",
    "TR": r"turkey|türkiye",
    "ZA": r"south africa|locally made|local",
}
# "the tan one", "that 500 ml one", "which one": one of the products just shown
ONE_OF_THEM = re.compile(r"\b(?:the|that|this|which)\s+(?:[\w.-]+\s+){0,3}?(?:one|ones)\b", re.IGNORECASE)
REFERS_BACK = re.compile(
    r"\b(it|its|that one|this one|that order|this order|the order|there|them|their|those|these|that product|same|"
    r"dit|hulle|daardie)\b|" + ONE_OF_THEM.pattern,
    re.IGNORECASE,
)


@dataclass
class Slots:
    skus: list[str] = field(default_factory=list)
    order_number: int | None = None
    quantities: list[int] = field(default_factory=list)
    warehouses: list[str] = field(default_factory=list)  # in the order they are named
    from_warehouse: str | None = None
    to_warehouse: str | None = None
    hs_code: str | None = None
    money: tuple[float, str] | None = None  # the goods' value
    currency: str | None = None  # a currency named without an amount ("use EUR instead")
    per_unit: bool = False
    freight: tuple[float, str] | None = None  # (amount, currency)
    insurance: tuple[float, str] | None = None
    country: str | None = None
    days: int | None = None
    status: str | None = None
    shipment_status: str | None = None
    channel: str | None = None
    refers_back: bool = False  # "it", "that order", "those": the request leans on the conversation
    rest: str = ""  # the text without the values above: what is left to name a product or goods

    def merged_over(self, older: Slots) -> Slots:
        """These slots, with the gaps filled from an earlier turn."""
        merged = Slots(**{f.name: getattr(older, f.name) for f in fields(older)})
        for f in fields(self):
            value = getattr(self, f.name)
            if value not in (None, [], False, ""):
                setattr(merged, f.name, value)
        if self.warehouses and not (self.from_warehouse or self.to_warehouse):
            merged.from_warehouse, merged.to_warehouse = older.from_warehouse, older.to_warehouse
        return merged


def _mask(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def extract(text: str) -> Slots:
    text = plain(text)
    slots = Slots()
    masked = text
    for sku in (OUR_SKU, SKU_LIKE):  # ours first, then a code in another style ("SKU-123"): the catalogue decides
        for match in sku.finditer(masked):
            slots.skus.append(match.group(0).upper())
            masked = _mask(masked, match.start(), match.end())
    for item in money(masked):
        _take_money(slots, item)
        masked = _mask(masked, item.start, item.end)
    if hs := HS.search(masked) or HS_WORD.search(masked):
        slots.hs_code = hs.group(1)
        masked = _mask(masked, hs.start(), hs.end())
    for order in ORDER.finditer(masked):
        if order.group(2) and slots.money:
            continue  # "1000 T-shirts at $5 000": with money named, a bare number is a quantity, not an order
        slots.order_number = int(order.group(1) or order.group(2))
        masked = _mask(masked, order.start(), order.end())
        break
    located = places(text)
    slots.warehouses = list(dict.fromkeys(p.code for p in located))
    for place in located:
        if place.direction == "from" and not slots.from_warehouse:
            slots.from_warehouse = place.code
        elif place.direction == "to" and not slots.to_warehouse:
            slots.to_warehouse = place.code
        masked = _mask(masked, place.start, place.end)
    slots.days = period_days(text)
    periods = "|".join(UNIT_DAYS)  # "in 10 days" is a period; "bring in 100 jackets" is not
    masked = re.sub(
        rf"\b(?:last|past|previous|next|over|in|laaste|afgelope)\s+\d+\s+(?:{periods})\b",
        lambda m: " " * len(m.group(0)),
        masked,
        flags=re.IGNORECASE,
    )
    slots.currency = currency_named(masked)
    masked = CURRENCY_NAMED.sub(lambda m: " " * len(m.group(0)), masked)
    without_attributes = ATTRIBUTE_NUMBER.sub(lambda m: " " * len(m.group(0)), masked)
    # a count may end a clause ("down by 3, damaged"), never a decimal or thousands group ("3,5", "1.2")
    # ...and "+4" / "-3" after a space is a signed count, as stock takes write it
    for match in re.finditer(
        r"(?<![\w.,+-])(?:x\s?|(?<=\s)[+-])?(\d{1,6})(?:\s?x)?(?![\w%+]|[.,]\d)", without_attributes
    ):
        if _names_a_size(without_attributes, match):
            continue
        slots.quantities.append(int(match.group(1)))
    lowered = without_attributes.lower()
    lowered = ONE_OF_THEM.sub(" ", lowered)  # "the tan one", "which one": a pronoun, not a count
    if not slots.quantities:
        for word, value in NUMBER_WORDS.items():
            if len(word) > 2 and re.search(rf"\b{word}\b", lowered):
                slots.quantities.append(value)
    for code, pattern in COUNTRIES.items():
        if re.search(rf"\b(?:{pattern})\b", text, re.IGNORECASE):
            slots.country = code
            break
    slots.status = first_match(ORDER_STATUSES, text)
    slots.shipment_status = first_match(SHIPMENT_STATUSES, text)
    slots.channel = first_match(CHANNELS, text)
    slots.refers_back = bool(REFERS_BACK.search(text))
    slots.rest = " ".join(masked.split())
    return slots


# Words after which a number is a count ("below 20", "another 5"), next to the request words of `NOISE`.
COUNT_LEADS = frozenset(
    "below above under over than least most only just another more less fewer approx about roughly around "
    "extra additional minimum maximum min max op tot land landed landing import importing imported bring buy "
    "bought buying order ordered ordering pay paying sell sold selling".split()
)


def _names_a_size(text: str, match: re.Match[str]) -> bool:
    """A bare number that ends a name is the product's size ("Potjie pot 3 in JHB", "toner refill 500 stock",
    "serum 30?"), not a number of units: a count comes after a verb ("move 5", "to 40") or before the product
    ("receive 10 hair oils")."""
    if "x" in match.group(0).lower():
        return False
    before = re.search(r"([a-z][a-z'’]*)\s*$", text[: match.start()], re.IGNORECASE)
    after = re.match(r"\W*([a-z][a-z'’-]*)?", text[match.end() :], re.IGNORECASE)
    following = after.group(1) if after else None
    if before is None or (following and not request_word(following) and not warehouse_code(following)):
        return False
    word = before.group(1).lower().replace("’", "'")
    return len(word) >= 3 and "'" not in word and not request_word(word) and word not in COUNT_LEADS


def _take_money(slots: Slots, item: Money) -> None:
    if item.role == "freight" and slots.freight is None:
        slots.freight = (item.amount, item.currency)
    elif item.role == "insurance" and slots.insurance is None:
        slots.insurance = (item.amount, item.currency)
    elif item.role == "value" and slots.money is None:
        slots.money, slots.per_unit = (item.amount, item.currency), item.per_unit
