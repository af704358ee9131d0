"""Slot normalisers: money, warehouses, statuses, channels, periods and quantities as South African merchants and
support staff type them (pure functions, no services)."""

from __future__ import annotations

import pytest

from assistant.normalise import (
    CHANNELS,
    ORDER_STATUSES,
    SHIPMENT_STATUSES,
    first_match,
    money,
    parse_amount,
    period_days,
    places,
    plain,
    warehouse_code,
)
from assistant.offline.slots import extract


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("R4k", 4000, "ZAR"),
        ("R3 500", 3500, "ZAR"),
        ("R 12 400", 12400, "ZAR"),
        ("ZAR 2 100", 2100, "ZAR"),
        ("R1,800", 1800, "ZAR"),
        ("R6.5k", 6500, "ZAR"),
        ("R1.2k", 1200, "ZAR"),
        ("R85 000", 85000, "ZAR"),
        ("USD 2,400", 2400, "USD"),
        ("USD 12k", 12000, "USD"),
        ("US$ 9 100", 9100, "USD"),
        ("$5000", 5000, "USD"),
        ("USD 3.50", 3.5, "USD"),
        ("2,400 dollars", 2400, "USD"),
        ("EUR 1.200,50", 1200.5, "EUR"),
        ("EUR 1.200", 1200, "EUR"),
        ("€12 000", 12000, "EUR"),
        ("2000 euros", 2000, "EUR"),
        ("GBP 900", 900, "GBP"),
        ("£1,250.75", 1250.75, "GBP"),
        ("RMB 18 000", 18000, "CNY"),
        ("CNY 4k", 4000, "CNY"),
        ("15 000 yuan", 15000, "CNY"),
        ("1.5m rand", 1_500_000, "ZAR"),
        ("$1.2k", 1200, "USD"),
        ("15k dollars", 15000, "USD"),
        ("R1,5k", 1500, "ZAR"),
        ("four grand", 4000, "ZAR"),
        ("2.5 grand", 2500, "ZAR"),
        ("15 thousand dollars", 15000, "USD"),
    ],
)
def test_money_as_typed(text: str, amount: float, currency: str) -> None:
    [found] = money(f"it comes to {text} all in")
    assert (found.amount, found.currency) == (pytest.approx(amount), currency)


def test_money_roles_and_per_unit() -> None:
    found = money("FOB USD 2,400 from Shenzhen, freight R4k, insurance R350")
    assert [(m.amount, m.role) for m in found] == [(2400, "value"), (4000, "freight"), (350, "insurance")]
    found = money("600 flasks at USD 4.20 a unit plus R3,200 freight and R500 insurance")
    assert [(m.amount, m.role, m.per_unit) for m in found] == [
        (4.2, "value", True),
        (3200, "freight", False),
        (500, "insurance", False),
    ]
    assert money("sea freight of R6.5k")[0].role == "freight"


def test_no_money_where_there_is_none() -> None:
    assert money("move 3 r tents to CPT") == []
    assert money("receive 5 thousand units") == money("two rand coins") == []
    assert money("order 1042 for 200 units") == []


@pytest.mark.parametrize(("text", "value"), [("2,400", 2400), ("1 850", 1850), ("4.20", 4.2), ("1.200,50", 1200.5)])
def test_parse_amount(text: str, value: float) -> None:
    assert parse_amount(text) == pytest.approx(value)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("JHB", "JHB"),
        ("Johannesburg", "JHB"),
        ("Joburg", "JHB"),
        ("Jo'burg", "JHB"),
        ("Jozi", "JHB"),
        ("Egoli", "JHB"),
        ("Midrand", "JHB"),
        ("the JHB warehouse", "JHB"),
        ("Johanesburg", "JHB"),  # typo
        ("cpt", "CPT"),
        ("Cape Town", "CPT"),
        ("Kaapstad", "CPT"),
        ("the Mother City", "CPT"),
        ("Montague Gardens", "CPT"),
        ("Capetwon", "CPT"),  # typo
        ("CT", "CPT"),
        ("Jo-burg", "JHB"),
        ("Durban", "DBN"),
        ("Durbs", "DBN"),
        ("eThekwini", "DBN"),
        ("KZN", "DBN"),
        ("Pinetown", "DBN"),
        ("Durbn", "DBN"),  # typo
    ],
)
def test_warehouse_names(name: str, code: str) -> None:
    assert warehouse_code(name) == code


def test_warehouse_unknown() -> None:
    assert warehouse_code("Bloemfontein") is None
    assert warehouse_code("natural") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("move 6 from Joburg to the Mother City", [("JHB", "from"), ("CPT", "to")]),
        ("skuif 4 van Kaapstad na Durban", [("CPT", "from"), ("DBN", "to")]),
        ("send 5 to Durbs", [("DBN", "to")]),
        ("stock in Jozi and eThekwini", [("JHB", None), ("DBN", None)]),
        ("ex Johanesburg into CPT", [("JHB", "from"), ("CPT", "to")]),
        ("how many at the Cape Town DC", [("CPT", None)]),  # all of it, not "the Cape" with "Town" left over
    ],
)
def test_places_with_direction(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert [(p.code, p.direction) for p in places(text)] == expected


@pytest.mark.parametrize(
    ("text", "table", "value"),
    [
        ("show me the pending orders", ORDER_STATUSES, "pending"),
        ("orders still being picked", ORDER_STATUSES, "picking"),
        ("1475 is out the door", ORDER_STATUSES, "shipped"),
        ("was it sent back?", ORDER_STATUSES, "returned"),
        ("canceled orders", ORDER_STATUSES, "cancelled"),
        ("booked but not sailing yet", SHIPMENT_STATUSES, "booked"),
        ("what's on the water", SHIPMENT_STATUSES, "in_transit"),
        ("stuck at customs", SHIPMENT_STATUSES, "at_customs"),
        ("has it cleared customs", SHIPMENT_STATUSES, "cleared"),
        ("open TAL orders", CHANNELS, "takealot"),
        ("amazon.co.za sales", CHANNELS, "amazon"),
        ("our Shopify web shop", CHANNELS, "webshop"),
        ("op die webwinkel", CHANNELS, "webshop"),
    ],
)
def test_statuses_and_channels(text: str, table: dict[str, str], value: str) -> None:
    assert first_match(table, text) == value


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("sales for the last 7 days", 7),
        ("the past 3 days", 3),
        ("last 2 weeks", 14),
        ("past two weeks", 14),
        ("this week", 7),
        ("last week", 7),
        ("this month", 30),
        ("hierdie maand", 30),
        ("last quarter", 90),
        ("over the past 90 days", 90),
        ("laaste 7 dae", 7),
        ("today", 1),
        ("a fortnight", 14),
        ("MTD", 30),
        (plain("sales last 7d"), 7),
        ("past 3 mths", 90),
        ("nothing about time", None),
    ],
)
def test_periods(text: str, days: int | None) -> None:
    assert period_days(text) == days


@pytest.mark.parametrize(
    ("text", "quantities"),
    [
        ("move 6 Lumo Headlamp 350 lm from JHB to CPT", [6]),  # 350 lm is part of the name
        ("skuif 4x Baobab hair oil 100ml", [4]),
        ("write off 2 Drakensberg Dome Tent 4-person in DBN", [2]),
        ("set the reorder point of Kaapse Son SPF 50 200ml to 35", [35]),
        ("transfer a dozen BV-TENT-0001 to CPT", [12]),
        ("landed cost of 200 tents, FOB USD 9 100, freight R12 400", [200]),
        ("Drakensberg dome tent 4 persn in CPT", []),  # a misspelt unit is still part of the name
        ("Green tea essence refill 500 stock Kaapstad", []),  # a bare number ending a name is its size
        ("potjie pot 3 in jhb", []),
        ("receive 10 hair oil 100ml into CPT", [10]),  # ...but a number before the product is a count
        ("alert me when BV-TENT-0001 drops below 20", [20]),
        ("how many of the tan one in durban?", []),  # "the tan one" is a pronoun, not one unit
        ("karoo tunnel tent two-person in CT", []),  # a number word before a unit is part of the name too
        ("knock FG-MASK-0002 down by 3, damaged", [3]),  # a count may end a clause
    ],
)
def test_quantities_leave_names_and_money_alone(text: str, quantities: list[int]) -> None:
    assert extract(text).quantities == quantities


def test_extract_a_landed_cost_request() -> None:
    slots = extract("80 pairs of leather boots from Italy, EUR 1.200,50 FOB, freight R2 750 and insurance R180")
    assert slots.money == (1200.5, "EUR") and slots.freight == (2750, "ZAR") and slots.insurance == (180, "ZAR")
    assert slots.country == "IT" and slots.quantities == [80]


def test_extract_orders_skus_and_hs_codes() -> None:
    assert extract("bestelling 1480, waar is dit?").order_number == 1480
    assert extract("ord #1473 status").order_number == 1473
    assert extract("duty on 6403.91 from Italy").hs_code == "6403.91"
    assert extract("stock of bv-tent-0001 in jhb").skus == ["BV-TENT-0001"]


@pytest.mark.parametrize(
    ("text", "written_out"),
    [
        ("SOH BV-LAMP-0005 all wh pls", "stock on hand BV-LAMP-0005 all warehouse please"),
        ("OOS items in DBN?", "out of stock items in DBN?"),
        ("sales l30d", "sales last 30 days"),
        ("ord 1497 stat?", "order 1497 status?"),
        ("hoeveel voorraad in die pakhuis, asseblief", "how many stock in die warehouse, please"),
        ("Sport SPF 50+ spray", "Sport SPF 50+ spray"),  # names are left alone
        ("wat kos 'n krediet?", "how much is a credit?"),
    ],
)
def test_shorthand_is_written_out(text: str, written_out: str) -> None:
    assert plain(text) == written_out
    assert plain(written_out) == written_out  # idempotent


def test_a_currency_without_an_amount() -> None:
    assert extract("use EUR instead").currency == "EUR"
    assert extract("in pounds rather").currency == "GBP"
    assert extract("do it in US dollars").currency == "USD"
    assert extract("EUR 1 400 FOB from Italy").currency is None  # with its amount it is the goods' value
    assert extract("frt R1 100, ins R90").freight == (1100, "ZAR")
    assert extract("frt R1 100, ins R90").insurance == (90, "ZAR")


def test_shorthand_reaches_the_slots() -> None:
    slots = extract("sales l7d on TAL pls")
    assert slots.days == 7 and slots.channel == "takealot"


def test_signed_counts_of_a_stock_take() -> None:
    assert extract("adjust BV-FLASK-0001 in JHB +4 found in the count").quantities == [4]
    assert extract("BV-TENT-0002 CPT -2 damaged").quantities == [2]
    assert extract("sani pass mummy bag -5 in cpt").quantities == []  # a bag's temperature, not a count
