"""The Today card without a server: what it shows of a briefing, its buttons' prompts, escaping, who gets a card,
and that a failing briefing is one line, never a traceback. The browser test (`test_today_browser.py`) clicks it."""

from __future__ import annotations

import datetime as dt
import html
import re
from types import SimpleNamespace

import gradio as gr
import pytest

from assistant.application import briefing as app_briefing
from assistant.application.briefing import (
    Briefing,
    CreditsItem,
    CreditsSection,
    LateOrderItem,
    LateOrderSection,
    RebalanceItem,
    RebalanceSection,
    ShipmentItem,
    ShipmentSection,
    StockoutItem,
    StockoutSection,
)
from assistant.application.policy import Forbidden
from domain.orders import OrderStatus
from domain.orgs import Principal, Role
from domain.trade import ShipmentStatus
from ui import today_card
from ui.chat_tab import ChatTab
from ui.today_card import MAX_LINES, PHONE_LINES, UNAVAILABLE, button_label, load, section_html, today_html

TODAY = dt.date(2025, 3, 4)
PAID = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)


def stockout(sku: str, title: str = "Dome Tent 3P", warehouse: str = "CPT") -> StockoutItem:
    return StockoutItem(
        text=f"{sku} {title} ({warehouse}): 4 available, 1.5 a day, runs out about 2025-03-07",
        prompt=f"When will we run out of {sku} in {warehouse}?",
        sku=sku,
        title=title,
        warehouse=warehouse,
        available=4,
        per_day=1.5,
        days_of_cover=2.7,
        stockout_date=dt.date(2025, 3, 7),
        lead_time_days=42.0,
        suggested_quantity=60,
    )


def briefing(stockouts: int = 5, late: bool = True) -> Briefing:
    items = [stockout(f"BV-TENT-000{n}") for n in range(1, stockouts + 1)]
    skus = [item.sku for item in items]
    move = RebalanceItem(
        text="Move 12 x BV-BOOT-0002 from CPT to DBN",
        prompt="Transfer 12 units of BV-BOOT-0002 from CPT to DBN",
        sku="BV-BOOT-0002",
        title="Tan Hiking Boot",
        source="CPT",
        destination="DBN",
        quantity=12,
        source_cover_days_after=61.0,
        destination_cover_days_before=3.0,
        destination_cover_days_after=24.4,
    )
    order = LateOrderItem(
        text="Order 1042 (Takealot, JHB, picking): paid 1 Mar 10:00, 52 h past the 48 h dispatch promise",
        prompt="Show order 1042",
        number=1042,
        channel="takealot",
        warehouse="JHB",
        status=OrderStatus.picking,
        units=2,
        paid_at=PAID,
        due_by=PAID + dt.timedelta(hours=48),
        hours_late=52,
    )
    credits = CreditsItem(
        text="1,200 credits: about 40 days", prompt="How many credits do we have left?", balance=1200.0,
        average_daily_use=30.0, days_left=40.0,
    )  # fmt: skip
    return Briefing(
        date=TODAY,
        generated_at=dt.datetime(2025, 3, 4, 6, 0, tzinfo=dt.UTC),
        sections=[
            StockoutSection(
                title="Stockouts expected within lead time",
                prompt=f"Plan reorders for these {len(skus)}: {', '.join(skus)}" if skus else "",
                total=len(items),
                items=items,
            ),
            RebalanceSection(
                title="Rebalancing transfers",
                prompt="Plan stock rebalancing between JHB, CPT and DBN",
                total=1,
                items=[move],
            ),
            LateOrderSection(
                title="Paid orders late to ship",
                prompt="List picking orders" if late else "",
                total=int(late),
                items=[order] if late else [],
            ),
            ShipmentSection(title="Shipments due this week or late", prompt="", total=0, items=[]),
            CreditsSection(title="AI credits", prompt=credits.prompt, total=1, items=[credits]),
        ],
    )


def prompts(card: str) -> list[str]:
    return [html.unescape(p) for p in re.findall(r'data-fx-prompt="([^"]*)"', card)]


def test_the_card_lists_the_sections_with_a_button_each_that_sends_its_prompt():
    card = today_html(briefing())
    assert "Tuesday 4 March" in card
    for title in ("Stockouts expected within lead time", "Rebalancing transfers", "Paid orders late to ship"):
        assert title in card
    # The section's button says what it will send, and sends the whole prompt (the SKUs too).
    assert ">Plan reorders for these 5</button>" in card
    sent = prompts(card)
    assert "Plan reorders for these 5: BV-TENT-0001, BV-TENT-0002, BV-TENT-0003, BV-TENT-0004, BV-TENT-0005" in sent
    assert "Plan stock rebalancing between JHB, CPT and DBN" in sent
    assert "List picking orders" in sent and "How many credits do we have left?" in sent
    # Each line asks its own question; the credits line is the section's question, so only its button asks it.
    assert "When will we run out of BV-TENT-0001 in CPT?" in sent and "Show order 1042" in sent
    assert sent.count("How many credits do we have left?") == 1


def test_lines_are_short_with_the_figures_and_the_full_text_on_hover():
    card = today_html(briefing())
    assert "<b>BV-TENT-0001</b> CPT: runs out 7 Mar, 4 left, order 60 · Dome Tent 3P" in card
    assert "<b>Move 12 × BV-BOOT-0002</b> CPT → DBN: DBN cover 3 → 24 days" in card
    assert "<b>Order 1042</b> (Takealot, JHB, picking): 52 h late" in card
    assert "<b>1,200.0 credits</b>: about 40 days left at 30.00 a day" in card
    assert 'title="BV-TENT-0001 Dome Tent 3P (CPT): 4 available, 1.5 a day, runs out about 2025-03-07"' in card


def test_a_long_section_shows_its_first_lines_and_how_many_more():
    card = today_html(briefing(stockouts=5))
    assert card.count("When will we run out of") == MAX_LINES
    assert card.count('<li class="fx-today-wide">') == MAX_LINES - PHONE_LINES  # a phone shows fewer
    assert '<span class="fx-today-more fx-today-wide">+ 2 more</span>' in card
    assert '<span class="fx-today-more fx-today-narrow">+ 3 more</span>' in card
    assert "more</span>" not in section_html(briefing().sections[1])  # a single line has no "more"
    assert '<span class="fx-today-count">5</span>' in card


def test_sections_with_nothing_to_say_share_one_line_and_an_empty_day_says_so():
    card = today_html(briefing())
    assert "Nothing today: Shipments due this week or late" in card
    assert "Shipments due this week or late</span>" not in card  # no block of its own
    quiet = briefing(stockouts=0, late=False)
    quiet.sections = [s for s in quiet.sections if s.kind in ("stockouts", "late_orders")]
    card = today_html(quiet)
    assert "Nothing needs your attention today." in card and "fx-today-sections" not in card
    assert prompts(card) == []


def test_figures_from_the_data_are_escaped():
    found = briefing(stockouts=1)
    found.sections[0].items = [stockout("BV-X", title='<img src=x onerror="alert(1)">', warehouse="CPT")]
    card = today_html(found)
    assert "<img" not in card and "&lt;img src=x" in card
    assert "onerror=&quot;alert(1)&quot;" in card  # in the tooltip: the attribute's quotes hold


def test_the_button_label_is_the_prompt_up_to_its_list():
    assert button_label("Plan reorders for these 2: BV-1, BV-2") == "Plan reorders for these 2"
    assert button_label("Show import shipments") == "Show import shipments"


class FakeServices:
    """What `load` reaches of the composition root: the gate's rate limiter (the role check is the session's)."""

    def __init__(self, planning: bool = True) -> None:
        self.gate = SimpleNamespace(limiter=SimpleNamespace(acquire=lambda key_id: 0.0))
        if planning:
            self.planning = object()


def signed_in_as(monkeypatch: pytest.MonkeyPatch, role: Role) -> None:
    principal = Principal(org_id="bergveld", role=role, key_id=f"key-{role.value}")
    monkeypatch.setattr("ui.session.authenticate", lambda services, key: principal)


def test_only_a_merchant_gets_a_card(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(app_briefing, "build", lambda services, principal: calls.append(principal.org_id) or briefing())
    assert load(FakeServices(), None) == ""  # not signed in
    for role in (Role.support, Role.admin):  # no Chat tab, no card, and no briefing built for them
        signed_in_as(monkeypatch, role)
        assert load(FakeServices(), "token") == ""
    assert calls == []
    signed_in_as(monkeypatch, Role.merchant)
    assert "Stockouts expected within lead time" in load(FakeServices(), "token")
    assert calls == ["bergveld"]


def test_a_failing_briefing_is_one_line_and_never_a_traceback(monkeypatch, caplog):
    signed_in_as(monkeypatch, Role.merchant)

    def broken(services, principal):
        raise KeyError("reorder_plan exploded in /srv/assistant/planning/service.py")

    monkeypatch.setattr(app_briefing, "build", broken)
    with caplog.at_level("ERROR", logger="ui.session"):
        card = load(FakeServices(), "token")
    assert UNAVAILABLE in card and "ask away below as usual" in card
    assert "exploded" not in card and "Traceback" not in card and "service.py" not in card
    assert card.count("<div") == 1 and "<br" not in card and "\n" not in card
    reference = re.search(r'title="reference (ui-[0-9a-f]+)"', card)
    assert reference and any(r.request_id == reference.group(1) for r in caplog.records)  # the log has the rest
    # A domain error says why, in the same one line.
    monkeypatch.setattr(app_briefing, "build", lambda services, principal: (_ for _ in ()).throw(Forbidden("no")))
    assert f"{UNAVAILABLE}: no" in load(FakeServices(), "token")
    # A root without the planning service lands in the same one line (the briefing reads it, as the real one does).
    monkeypatch.setattr(app_briefing, "build", lambda services, principal: (services.planning, briefing())[1])
    assert UNAVAILABLE in load(FakeServices(planning=False), "token")


def test_the_card_sits_above_the_conversation_and_the_api_outputs_stay_as_they_were():
    with gr.Blocks() as blocks:
        tab = ChatTab(services=None, key_state=gr.State(None))
        tab.wire()
    ids = [block._id for block in blocks.blocks.values()]
    assert ids.index(tab.today._id) < ids.index(tab.chatbot._id)
    assert tab.today.elem_id == today_card.ELEM_ID and tab.today not in tab.outputs
    config = blocks.get_config_file()
    chat = next(d for d in config["dependencies"] if d.get("api_name") == "chat")
    assert tab.today._id not in chat["outputs"]
    # The card is loaded after every event that leaves the chat empty.
    loads = [d for d in config["dependencies"] if tab.today._id in d["outputs"]]
    assert len(loads) >= 3


@pytest.mark.parametrize(("days_to_eta", "says"), [(-3, "3 days late"), (0, "due today"), (1, "due in 1 day")])
def test_a_shipment_line_says_how_late_or_how_soon(days_to_eta, says):
    shipment = ShipmentItem(
        text="SH-2025-007 from Ningbo",
        prompt="Where is shipment SH-2025-007 now?",
        id="SH-2025-007",
        supplier="Ningbo Outdoor Co",
        origin_port="Ningbo",
        destination_warehouse="DBN",
        mode="sea",
        status=ShipmentStatus.in_transit,
        eta=TODAY + dt.timedelta(days=days_to_eta),
        days_late=max(0, -days_to_eta),
        days_to_eta=days_to_eta,
        units=120,
    )
    found = briefing()
    found.sections[3] = ShipmentSection(
        title="Shipments due this week or late", prompt="Show import shipments", total=1, items=[shipment]
    )
    card = today_html(found)
    assert f"<b>SH-2025-007</b> Ningbo → DBN (sea): {says}" in card
    assert "Where is shipment SH-2025-007 now?" in prompts(card) and ">Show import shipments</button>" in card
