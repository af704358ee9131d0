"""Slot normalisers: the values merchants type, as the tools want them.

Money as South Africans write it (R4k, R3 500, ZAR 2 100, USD 2,400, $5000, EUR 1.200,50, RMB 18 000, 6.5k),
warehouses by code, city, suburb, nickname or Afrikaans name (Jozi, Egoli, the Mother City, Kaapstad, Durbs,
eThekwini, Midrand, Pinetown), order and shipment statuses, sales channels, periods ("past 2 weeks", "hierdie
maand") and quantities ("4x", "a dozen"). Place names tolerate a typo (edit distance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.resolver import NUMBER_WORDS as SIZE_WORDS
from domain.resolver import edit_distance

# Money -------------------------------------------------------------------------------------------------------
CURRENCY_WORDS = {
    "r": "ZAR",
    "zar": "ZAR",
    "rand": "ZAR",
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
}
_CUR = r"us\$|usd|zar|eur|gbp|cny|rmb|rand|dollars?|euros?|pounds?|yuan|[$€£¥]|r"
# A number as typed: 2,400 / 1 850 / 1.200,50 / 4.20 / 12k / 6.5k / 1.2m
_AMOUNT = r"\d{1,3}(?:[ ,.\u00a0]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d+)?"
# "k", "m", "thousand" and "grand" (always rand when no currency is named: "four grand", "2.5 grand")
_SUFFIX = r"\s?(?:[km]|thousand|grand)\b"
_WORD_AMOUNT = r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|a"
MONEY = re.compile(
    rf"(?<![\w.])(?:(?P<cur1>{_CUR})\s?(?P<amt1>{_AMOUNT})(?P<suf1>{_SUFFIX})?"
    rf"|(?P<amt2>{_AMOUNT}|{_WORD_AMOUNT})(?P<suf2>{_SUFFIX})?\s?(?P<cur2>{_CUR})\b"
    rf"|(?P<amt3>{_AMOUNT}|{_WORD_AMOUNT})\s(?P<suf3>grand)\b)",
    re.IGNORECASE,
)
ROLES = {
    "freight": r"freight|frt|fr8|frght|shipping|transport|vrag|sea freight|air freight|courier",
    "insurance": r"insurance|ins|insured|cover|versekering",
    "value": r"fob|worth|value|valued|at|cost|costs|for|price|invoice|goods",
}
PER_UNIT = re.compile(r"^\s*(each|a unit|per unit|/unit|a piece|apiece|per piece|per item|a pop|per pair|a pair|ea)\b")


@dataclass(frozen=True)
class Money:
    amount: float
    currency: str
    role: str  # freight | insurance | value
    per_unit: bool
    start: int
    end: int


def parse_amount(text: str, suffix: str = "") -> float:
    """ "2,400" -> 2400, "1 850" -> 1850, "1.200,50" -> 1200.5, "4.20" -> 4.2, "6.5" + "k" -> 6500."""
    text = text.replace("\u00a0", " ").strip()
    groups = re.split(r"[ ,.]", text)
    separators = re.findall(r"[ ,.]", text)
    if text.lower() in NUMBER_WORDS:  # "four" grand
        value = float(NUMBER_WORDS[text.lower()])
    elif separators:
        last = separators[-1]
        if len(groups[-1]) != 3 or (last in ",." and len(set(separators)) > 1 and separators.count(last) == 1):
            # the last separator is a decimal mark: 4.20, 1.200,50, 2 400.75
            whole, decimals = "".join(groups[:-1]), groups[-1]
        elif last in ",." and len(separators) == 1 and suffix:
            whole, decimals = groups[0], groups[1]  # 1.500k is 1 500, not 1 500 000
        else:
            whole, decimals = "".join(groups), ""
        value = float(f"{whole}.{decimals}" if decimals else whole)
    else:
        value = float(text)
    multiplier = {"k": 1_000, "m": 1_000_000, "thousand": 1_000, "grand": 1_000}.get(suffix.strip().lower(), 1)
    return value * multiplier


CURRENCY_NAMED = re.compile(r"\b(us ?dollars?|usd|zar|eur|euros?|gbp|pounds?|cny|rmb|yuan|dollars?|rand)\b", re.I)


def currency_named(text: str) -> str | None:
    """A currency named without an amount ("use EUR instead", "in dollars"): the currency a follow-up switches
    to. Call it on the text with the amounts taken out."""
    match = CURRENCY_NAMED.search(text)
    if match is None:
        return None
    word = match.group(1).lower()
    return "USD" if word.startswith("us") else CURRENCY_WORDS.get(word)


def money(text: str) -> list[Money]:
    """Every amount of money in the text, with what it is for (freight, insurance or the goods' value)."""
    found = []
    for match in MONEY.finditer(text):
        currency_word = (match.group("cur1") or match.group("cur2") or "rand").lower()
        amount_text = match.group("amt1") or match.group("amt2") or match.group("amt3")
        suffix = match.group("suf1") or match.group("suf2") or match.group("suf3") or ""
        if amount_text.lower() in NUMBER_WORDS and not suffix:
            continue  # "a dollar", "two rand": no amount a merchant would write for goods
        if currency_word == "r" and not re.match(r"r\s?\d", match.group(0), re.IGNORECASE):
            continue  # a bare "r" after a number ("3 r") is no currency
        if currency_word == "r" and match.group("cur2"):
            continue
        amount = parse_amount(amount_text, suffix)
        before = text[max(0, match.start() - 28) : match.start()].lower()
        after = text[match.end() : match.end() + 20].lower()
        role = "value"
        # a role word right after the amount ("R500 insurance") wins; else the nearest one before it
        after_role = [n for n in ("freight", "insurance") if re.match(rf"^\s*(of\s+|for\s+)?({ROLES[n]})\b", after)]
        before_roles = [
            (m.start(), n) for n in ("freight", "insurance") if (m := re.search(rf"\b({ROLES[n]})\b[^0-9,;]*$", before))
        ]
        if after_role:
            role = after_role[0]
        elif before_roles:
            role = max(before_roles)[1]
        per_unit = bool(PER_UNIT.match(after))
        found.append(Money(amount, CURRENCY_WORDS[currency_word], role, per_unit, match.start(), match.end()))
    return found


# Warehouses ----------------------------------------------------------------------------------------------------
WAREHOUSE_NAMES = {
    "JHB": (
        "jhb",
        "jnb",
        "johannesburg",
        "johannesberg",
        "joburg",
        "jo'burg",
        "jo-burg",
        "jo burg",
        "joeys",
        "jozi",
        "egoli",
        "gauteng",
        "midrand",
        "gp",
        "the reef",
    ),
    "CPT": (
        "cpt",
        "ct",
        "cape town",
        "the cape town",  # before "the cape", which would leave "Town" behind
        "capetown",
        "kaapstad",
        "mother city",
        "the cape",
        "kaap",
        "western cape",
        "wes-kaap",
        "montague gardens",
        "slaapstad",
    ),
    "DBN": (
        "dbn",
        "durban",
        "durbs",
        "durbz",
        "ethekwini",
        "kzn",
        "kwazulu-natal",
        "kwazulu natal",
        "natal",
        "pinetown",
        "surf city",
    ),
}
_PLACE = re.compile(
    r"\b("
    + "|".join(sorted((re.escape(n) for names in WAREHOUSE_NAMES.values() for n in names), key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)
_CODE_OF = {name: code for code, names in WAREHOUSE_NAMES.items() for name in names}
_FROM = re.compile(r"\b(from|out of|ex|van|uit|vanaf|source)\s+(the\s+|die\s+)?$", re.IGNORECASE)
_TO = re.compile(r"\b(to|into|towards|na|naar|over to|destination)\s+(the\s+|die\s+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    code: str
    start: int
    end: int
    direction: str | None  # "from" | "to" | None


def warehouse_code(text: str) -> str | None:
    """One warehouse name, code or nickname -> JHB, CPT or DBN (a typo allowed in names of 5+ letters)."""
    cleaned = " ".join(re.sub(r"\b(warehouse|wh|dc|depot|store)\b", " ", text.lower()).split())
    cleaned = re.sub(r"^(the|die)\s+", "", cleaned)
    if cleaned in _CODE_OF:
        return _CODE_OF[cleaned]
    if cleaned.upper() in WAREHOUSE_NAMES:
        return cleaned.upper()
    if len(cleaned) >= 5:
        best = min((edit_distance(cleaned, name, 2), name) for name in _CODE_OF if len(name) >= 5)
        if best[0] <= (1 if len(cleaned) < 8 else 2):
            return _CODE_OF[best[1]]
    return None


def places(text: str) -> list[Place]:
    """Warehouses named in the text, in order, with "from"/"to" when the words around say so."""
    found: list[Place] = []
    for match in _PLACE.finditer(text):
        name = match.group(1).lower()
        if name == "natal" and re.search(r"kwazulu[- ]$", text[: match.start()].lower()):
            continue
        found.append(Place(_CODE_OF[name], match.start(), match.end(), _direction(text, match.start())))
    taken = [(p.start, p.end) for p in found]
    for match in re.finditer(r"\b[a-z][a-z']{4,}\b", text, re.IGNORECASE):  # typos: "Johanesburg", "Durbn"
        if any(s <= match.start() < e for s, e in taken) or match.group(0).lower() in _NOT_PLACES:
            continue
        if code := warehouse_code(match.group(0)):
            found.append(Place(code, match.start(), match.end(), _direction(text, match.start())))
    return sorted(found, key=lambda p: p.start)


_NOT_PLACES = frozenset({"durable", "capture", "natural", "gauge", "johanna", "nature", "capital", "captain"})


def _direction(text: str, start: int) -> str | None:
    before = text[max(0, start - 16) : start]
    if _FROM.search(before):
        return "from"
    if _TO.search(before):
        return "to"
    return None


# Statuses, channels, periods ----------------------------------------------------------------------------------
ORDER_STATUSES = {
    "pending": r"pending|new orders?|unconfirmed|awaiting confirmation|hangende|nuwe bestellings?",
    "confirmed": r"confirmed|confirm(?=\s*$)|bevestig",
    "picking": r"picking|being picked|in pick|pick list|to be picked|packed",
    "shipped": r"shipped|ship (?:it|them|this|that)|dispatched|despatched|sent out|"
    r"out the door|left the building|gone out|on its way|"
    r"handed to the courier|collected by the courier|courier collected|gestuur",
    "delivered": r"delivered|received by the customer|arrived|afgelewer",
    "cancelled": r"cancell?ed|voided|gekanselleer",
    "returned": r"returned|sent back|came back|teruggestuur",
}
SHIPMENT_STATUSES = {
    "at_customs": r"at customs|in customs|stuck at customs|held (?:up )?at customs|customs hold|clearance|"
    r"waiting on customs|(?:by|with|at|on|waiting for) sars|sars (?:hold|stop)|doeane",
    "in_transit": r"in transit|at sea|on the water|on the ocean|sailing|on the boat|en route|onderweg",
    "booked": r"booked",
    "cleared": r"cleared|released by customs|through customs",
    "delivered": r"delivered|arrived|received|in the warehouse",
}
CHANNELS = {
    "takealot": r"takealot(?:\.com)?|tal|take a lot|takelot|takealott",
    "amazon": r"amazon(?:\.co\.za)?|amz|amazn|seller central",
    "webshop": r"web\s*shop|website|web site|own shop|online store|our site|webwinkel|shopify|woocommerce|woo",
}
# Counts as words: the resolver's (the ones a size is written with, "two-person") and the rest a quantity or a
# period is written with.
NUMBER_WORDS: dict[str, int] = {
    **{word: int(value) for word, value in SIZE_WORDS.items() if float(value).is_integer()},
    "a": 1,
    "an": 1,
    "eleven": 11,
    "dozen": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
    "hundred": 100,
    "tien": 10,
}
UNIT_DAYS = {
    "day": 1,
    "days": 1,
    "dae": 1,
    "dag": 1,
    "week": 7,
    "weeks": 7,
    "weke": 7,
    "wk": 7,
    "wks": 7,
    "fortnight": 14,
    "month": 30,
    "months": 30,
    "mth": 30,
    "mths": 30,
    "maand": 30,
    "maande": 30,
    "quarter": 90,
    "year": 365,
    "jaar": 365,
}


def first_match(table: dict[str, str], text: str) -> str | None:
    """The key whose pattern occurs first in the text ("booked but not sailing yet" is booked)."""
    best: tuple[int, str] | None = None
    for key, pattern in table.items():
        match = re.search(rf"\b(?:{pattern})\b", text, re.IGNORECASE)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), key)
    return best[1] if best else None


def period_days(text: str) -> int | None:
    lowered = text.lower()
    unit = "|".join(sorted(UNIT_DAYS, key=len, reverse=True))
    count = r"\d+|" + "|".join(NUMBER_WORDS)
    lead = r"last|past|previous|over|the last|laaste|afgelope|in"
    if match := re.search(rf"\b(?:{lead})\s+({count})\s+({unit})\b", lowered):
        number = match.group(1)
        value = int(number) if number.isdigit() else NUMBER_WORDS[number]
        return value * UNIT_DAYS[match.group(2)]
    if match := re.search(rf"\b({count})[- ]({unit})\b", lowered):
        number = match.group(1)
        value = int(number) if number.isdigit() else NUMBER_WORDS[number]
        if value > 1 or match.group(2) not in ("day", "dag"):
            return value * UNIT_DAYS[match.group(2)]
    if match := re.search(r"\b(?:last|past|previous|laaste)\s+(\d+)\s*(?:\?|$|,|\.)", lowered):
        return int(match.group(1))  # "what about the last 30?": days
    if match := re.search(rf"\b(?:last|past|previous|this|hierdie|verlede|vorige)\s+({unit})\b", lowered):
        return UNIT_DAYS[match.group(1)]
    if re.search(r"\bfortnight\b", lowered):
        return 14
    if re.search(r"\b(mtd|month to date)\b", lowered):
        return 30
    if re.search(r"\b(ytd|year to date)\b", lowered):
        return 365
    if re.search(r"\b(today|vandag|so far today)\b", lowered):
        return 1
    if re.search(r"\b(yesterday|gister)\b", lowered):
        return 2
    return None


# Shorthand ----------------------------------------------------------------------------------------------------
# Abbreviations, chat spellings and everyday Afrikaans words, as their plain English, so the sentence encoder
# (an English model) and the slot patterns read "SOH BV-LAMP-0005 all wh pls" as "stock on hand ... all
# warehouses please". Only words that mean one thing in a merchant's request; names are left alone.
SHORTHAND = {
    "soh": "stock on hand",
    "oos": "out of stock",
    "qty": "quantity",
    "qtys": "quantities",
    "qnty": "quantity",
    "wh": "warehouse",
    "whs": "warehouses",
    "whse": "warehouse",
    "w/h": "warehouse",
    "pls": "please",
    "plz": "please",
    "plse": "please",
    "asb": "please",
    "asseblief": "please",
    "thx": "thanks",
    "ord": "order",
    "ords": "orders",
    "lvl": "level",
    "lvls": "levels",
    "stat": "status",
    "avail": "available",
    "bal": "balance",
    "yday": "yesterday",
    "re-order": "reorder",
    "hoeveel": "how many",
    "voorraad": "stock",
    "pakhuis": "warehouse",
    "skuif": "move",
    "kanselleer": "cancel",
    "bestelling": "order",
    "bestellings": "orders",
    "wat kos": "how much is",
    "hoeveel kos": "how much is",
    "kos": "cost",
    "'n": "a",
    "krediete": "credits",
    "krediet": "credit",
    "verkope": "sales",
    "laag": "low",
    "wat is": "what is",
    "wys": "show",
    "uit voorraad": "out of stock",
}
_SHORTHAND = re.compile(
    r"(?<![\w/-])(" + "|".join(sorted(map(re.escape, SHORTHAND), key=len, reverse=True)) + r")(?![\w/-])",
    re.IGNORECASE,
)
_LAST_DAYS = re.compile(r"\bl(\d{1,3})d\b", re.IGNORECASE)  # "l30d": the last 30 days
_DAYS = re.compile(r"\b(\d{1,3})\s?d\b", re.IGNORECASE)  # "last 7d", "30d"
_FACTOR = re.compile(r"\b(?:sun\s*)?factor\s*(\d{1,2}\+?)", re.IGNORECASE)  # "factor 50": a sun protection factor


def plain(text: str) -> str:
    """The request with shorthand written out (idempotent: the written-out words are no shorthand)."""
    text = _LAST_DAYS.sub(lambda m: f"last {m.group(1)} days", text)
    text = _DAYS.sub(lambda m: f"{m.group(1)} days", text)
    text = _FACTOR.sub(lambda m: f"SPF {m.group(1)}", text)
    return _SHORTHAND.sub(lambda m: SHORTHAND[m.group(1).lower()], text)
