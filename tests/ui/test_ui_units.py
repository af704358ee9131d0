"""The UI's pure parts, without a server: how stream events become chat messages, highlighting, the credit
split by tool, and the role rules of search."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import gradio as gr
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from assistant.application.credits import UsageReport, UsageRow, daily_series, usage_rows
from assistant.contracts import StreamEvent
from assistant.kb_answers import answerable
from assistant.pricing import TOOL_CALL_MC
from domain.credits import SAST, EntryKind, LedgerEntry
from domain.errors import InsufficientCredits, QuotaExceeded
from domain.orgs import Role
from domain.store import utcnow
from retrieval.types import SearchHit
from ui.app import tabs_for
from ui.charts import nice_ticks, stacked_bars_svg
from ui.chat_history import history_from_messages
from ui.chat_render import Turn, decided_card, outcome_of_decision, set_outcome, visible
from ui.chat_tab import ChatTab
from ui.chat_turns import ChatTurns
from ui.chat_view import ChatState, ChatView
from ui.credits_tab import daily_series as chart_series
from ui.credits_tab import describe, split_charge, usage_table
from ui.kb_tab import (
    answer_markdown,
    credits_line,
    highlight,
    query_terms,
    results_html,
    snippet,
    wanted_type,
)
from ui.session import Refusal, friendly_error


def event(kind: str, **data) -> StreamEvent:
    return StreamEvent(event=kind, data=data)


def test_a_turn_streams_tokens_shows_friendly_chips_and_links_the_sources():
    citations: list[dict] = []
    turn = Turn([{"role": "user", "content": "stock?"}], citations)
    turn.apply(event("tool_call", tool="stock_level", args={"product": "BV-TENT-0001"}))
    chip = turn.history[-1]
    assert chip["metadata"] == {"title": "Checking stock levels", "status": "pending"}
    assert "| product | BV-TENT-0001 |" in chip["content"]  # details on demand, not `sku="..."`
    turn.apply(event("tool_result", tool="stock_level", status="success"))
    turn.apply(event("token", text="38 available "))
    turn.apply(event("token", text="[product:BV-TENT-0001]"))
    streamed = turn.history[-1]["content"]
    assert streamed == "38 available [BV-TENT-0001](#fx-ref:product:BV-TENT-0001)"
    final = {
        "answer": "38 available [product:BV-TENT-0001]",
        "citations": [{"source": "product:BV-TENT-0001", "title": "Dome Tent", "snippet": ""}],
        "actions": [{"tool": "stock_level", "args": {}, "status": "executed"}],
        "pending_confirmation": None,
    }
    turn.apply(event("final", **final))
    assert turn.history[-1]["content"] == streamed  # the final text is what streamed: no jump
    assert turn.history[1]["metadata"]["title"] == "✔ Checked stock levels"
    assert citations == final["citations"] and turn.pending is None


def test_an_answers_first_token_reaches_the_page_at_once_and_later_ones_in_batches(monkeypatch):
    """The update with the first token is sent before the next event is read, even right after a tool's result
    (the batching would hold it until the next token, a model's chunk later); the next tokens wait for the batch."""
    monkeypatch.setattr("ui.chat_turns.TOKEN_BATCH_SECONDS", 60.0)  # a batch longer than this test
    turns = ChatTurns(services=None)
    read: list[str] = []

    def events():
        for kind, data in [
            ("tool_call", {"tool": "stock_level", "args": {}}),
            ("tool_result", {"tool": "stock_level"}),
            ("token", {"text": "38 "}),
            ("token", {"text": "available"}),
        ]:
            read.append(data.get("text", kind))
            yield event(kind, **data)

    state = ChatState(history=[{"role": "user", "content": "stock?"}])
    views = turns.stream(events(), state, "req_1", "stock?")
    shown = []
    for view in views:
        chat = visible(view.chat.history)
        shown.append((len(read), chat[-1]["content"] if chat[-1]["role"] == "assistant" else ""))
    assert (3, "38 ") in shown  # the first token, shown before "available" was read
    assert (4, "38 available") not in shown  # the second came within the batch: held back, no update of its own


def test_the_pages_turn_is_one_event_send_becomes_stop_and_back_and_a_failed_question_is_kept(monkeypatch):
    """`ask_page` alone turns Send into Stop and, with the answer's last update, back (no round trip before or
    after the answer, no update of its own); a question whose turn fails comes back for the page to put into the
    input box. The assistant is a stand-in that streams three events: the page's side is what is tested."""

    class Assistant:
        def stream(self, principal, request, request_id):
            yield event("tool_call", tool="stock_level", args={})
            yield event("token", text="38 available")
            yield event("final", answer="38 available", citations=[], conversation_id="c1", actions=[])

    services = type("Services", (), {"assistant": Assistant()})()
    with gr.Blocks():
        tab = ChatTab(services=services, key_state=gr.State(None))
    with pytest.raises(gr.Error, match="still coming"):
        next(tab.ask_page("and Durban?", None, ChatState(busy=True)))
    with pytest.raises(gr.Error, match="Type a question"):
        next(tab.ask_page("  ", None, ChatState()))
    monkeypatch.setattr("ui.chat_turns.require", lambda services, key, capability: object())
    updates = list(tab.ask_page("stock of BV-TENT-0001?", "key", ChatState()))
    send, stop, state = updates[0][tab.send], updates[0][tab.stop], updates[0][tab.state]
    assert send.interactive is False and stop.visible is True and state.busy is True
    assert all(tab.send not in update and tab.stop not in update for update in updates[1:-1])
    send, stop, state = updates[-1][tab.send], updates[-1][tab.stop], updates[-1][tab.state]
    assert send.interactive is True and stop.visible is False and state.busy is False
    assert updates[-1][tab.chatbot][-1]["content"] == "38 available" and state.conversation_id == "c1"  # with Send

    def refused(services, key, capability):
        raise Refusal("Your session has ended: sign in again.")

    monkeypatch.setattr("ui.chat_turns.require", refused)
    (update,) = tab.ask_page("stock of BV-TENT-0001?", "key", ChatState())
    assert update[tab.send].interactive is True
    assert update[tab.restore_box] == "stock of BV-TENT-0001?"  # for the page to put back
    assert "sign in again" in update[tab.chatbot][-1]["content"]


def test_numbered_sources_link_to_the_turns_help_centre_citations_once():
    earlier = [{"source": "old.md", "title": "Old"}]
    turn = Turn([], earlier)
    answer = (
        "Transfers move stock [1]. They take a day [2] [7] [3].\n\n"
        "Sources: [1] Transfers; [2] Couriers > Fees; [3] Transfers > Rules"
    )
    for word in answer.split(" "):
        turn.apply(event("token", text=word + " "))
    assert "Sources:" not in turn.history[-1]["content"]  # the plain line never shows, even while streaming
    turn.apply(
        event(
            "final",
            answer=answer,
            citations=[
                {"source": "guides/transfers.md", "title": "Transfers > How"},
                {"source": "product:X-1", "title": "X"},
                {"source": "guides/couriers.md", "title": "Couriers > Fees"},
            ],
        )
    )
    text = turn.history[-1]["content"]
    assert "[\\[1\\]](#fx-ref:c1)" in text and "[\\[2\\]](#fx-ref:c3)" in text  # session-wide indexes
    assert "[\\[3\\]](#fx-ref:c1)" in text  # another passage of the first article: that article
    assert "[7]" in text and "#fx-ref:c7" not in text  # no such source: plain text
    assert text.count("Sources") == 1 and "[\\[2\\] Couriers › Fees](#fx-ref:c3)" in text


def test_a_paused_write_is_a_card_and_the_decision_updates_it():
    turn = Turn([], [])
    turn.apply(event("tool_call", tool="transfer_stock", args={"quantity": 5}))
    turn.apply(event("confirmation", id="c1", summary="Move 5"))
    turn.apply(
        event(
            "final",
            answer="Please confirm: Move 5",
            pending_confirmation={"id": "c1", "summary": "Move 5"},
            actions=[{"tool": "transfer_stock", "status": "needs_confirmation"}],
        )
    )
    card = turn.history[-1]
    assert [o["value"] for o in card["options"]] == ["confirm", "reject"]
    assert "Move 5" in card["content"] and not any("Please confirm" in str(m["content"]) for m in turn.history)
    assert turn.history[0]["metadata"]["log"] == "waiting for your confirmation"
    assert turn.pending == {"id": "c1", "summary": "Move 5", "card": 1, "chips": [0]}
    assert "tool" not in visible(turn.history)[0] and "card" not in visible(turn.history)[1]


def test_outcomes_say_what_really_happened():
    done = {"actions": [{"tool": "transfer_stock", "status": "executed"}], "answer": "Done: moved 5 [order:7]."}
    assert outcome_of_decision(done, approve=True) == ("confirmed", "Done: moved 5 [order 7](#fx-ref:order:7).")
    refused = {"actions": [{"tool": "transfer_stock", "status": "refused", "result": "only 2 available"}]}
    assert outcome_of_decision(refused, approve=True) == ("refused", "only 2 available")
    rejected = {"actions": [{"tool": "transfer_stock", "status": "rejected"}], "answer": "OK, not done."}
    assert outcome_of_decision(rejected, approve=False) == ("rejected", "")
    chip = {"tool": "transfer_stock", "metadata": {}}
    set_outcome(chip, "refused", "only 2 available")
    assert chip["metadata"]["title"].startswith("⚠") and "only 2 available" in chip["metadata"]["log"]
    set_outcome(chip, "rejected")
    assert "error" not in str(chip["metadata"]) and "you rejected it" in chip["metadata"]["log"]
    assert decided_card("Move 5", "confirmed", "Done.")["content"].startswith("✔ **Confirmed**")
    assert "options" not in decided_card("Move 5", "rejected")


def test_a_saved_conversation_renders_like_a_live_one():
    messages = [
        HumanMessage("how do transfers work?"),
        AIMessage("", tool_calls=[{"name": "search_knowledge_base", "args": {"query": "transfers"}, "id": "t1"}]),
        ToolMessage(
            "{}",
            tool_call_id="t1",
            name="search_knowledge_base",
            artifact={"citations": [{"source": "guides/transfers.md", "title": "Transfers"}]},
        ),
        AIMessage("Transfers move stock [1].\n\nSources: [1] Transfers"),
        HumanMessage("move 5 BV-TENT-0001 to DBN"),
        AIMessage("", tool_calls=[{"name": "transfer_stock", "args": {"quantity": 5}, "id": "t2"}]),
    ]
    history, citations, pending = history_from_messages(messages, {"id": "p1", "summary": "Move 5"})
    assert [m["role"] for m in history] == ["user", "assistant", "assistant", "user", "assistant", "assistant"]
    assert history[1]["metadata"]["title"] == "✔ Searched the help centre"
    assert "(#fx-ref:c0)" in history[2]["content"] and history[2]["content"].count("Sources") == 1
    assert history[4]["metadata"]["log"] == "waiting for your confirmation"
    assert history[5]["options"] and pending == {"id": "p1", "summary": "Move 5", "card": 5, "chips": [4]}
    assert citations == [{"source": "guides/transfers.md", "title": "Transfers"}]
    refused = [
        HumanMessage("move 500"),
        AIMessage("", tool_calls=[{"name": "transfer_stock", "args": {}, "id": "t3"}]),
        ToolMessage('{"error": "only 2 available"}', tool_call_id="t3", name="transfer_stock"),
    ]
    history, _, pending = history_from_messages(refused, None)
    assert "only 2 available" in history[1]["metadata"]["log"] and pending is None


def test_highlight_bolds_words_starting_with_a_query_term_and_escapes_html():
    terms = query_terms("How do Takealot returns work?")
    assert terms == ["takealot", "returns", "work"]
    out = highlight("Takealot <b>x</b> handles returns; workers", terms)
    assert out == "<b>Takealot</b> &lt;b&gt;x&lt;/b&gt; handles <b>returns</b>; <b>workers</b>"


def test_snippet_centres_on_the_first_term_and_drops_markdown():
    text = "intro " * 100 + "**Takealot** returns are handled here. " + "tail " * 100
    cut = snippet(text, ["takealot"])
    assert "Takealot returns" in cut and cut.startswith("… ") and cut.endswith(" …")
    assert "**" not in cut and len(cut) <= 370


def test_the_type_picker_and_the_tabs_follow_the_policy():
    assert [wanted_type(choice) for choice in ("all", "kb", "product", "order", "")] == [
        None,
        "kb",
        "product",
        "order",
        None,
    ]
    assert tabs_for(Role.merchant) == ("chat", "kb", "credits")
    assert tabs_for(Role.support) == ("kb",)
    assert tabs_for(Role.admin) == ("admin", "kb", "credits")


def ledger_entry(kind: EntryKind, request_id: str, amount_mc: int, at, attempt: int = 1, **details) -> LedgerEntry:
    suffix = f"-{attempt}" if attempt > 1 else ""
    return LedgerEntry(
        id=f"{kind.value}-{request_id}{suffix}" if kind != EntryKind.grant else f"grant-{request_id}",
        kind=kind,
        amount_mc=amount_mc,
        balance_after_mc=10_000,
        request_id=request_id if kind != EntryKind.grant else "",
        details=details,
        created_at=at,
    )


def test_the_ledger_becomes_one_row_per_question_with_its_cost():
    now = utcnow()
    settled = {"model": "m1", "input_tokens": 900, "output_tokens": 120, "tools": ["stock_level"], "charged_mc": 90}
    entries = [
        ledger_entry(EntryKind.reserve, "q-1", -500, now - timedelta(minutes=9)),
        ledger_entry(EntryKind.settle, "q-1", 410, now - timedelta(minutes=8), reserved_mc=500, **settled),
        ledger_entry(EntryKind.reserve, "q-2", -500, now - timedelta(minutes=7)),
        ledger_entry(EntryKind.refund, "q-2", 500, now - timedelta(minutes=6), reason="the answer was stopped"),
        ledger_entry(EntryKind.reserve, "q-2", -500, now - timedelta(minutes=5), attempt=2),  # its retry runs
        ledger_entry(EntryKind.settle, "q-2", 450, now - timedelta(minutes=4), attempt=2, model="m1", charged_mc=50),
        ledger_entry(EntryKind.grant, "top-up", 5000, now - timedelta(minutes=3)),
        ledger_entry(EntryKind.reserve, "q-3", -500, now - timedelta(minutes=1)),
    ]
    rows = usage_rows(list(reversed(entries)))
    assert [(r.kind, r.request_id) for r in rows] == [
        ("answering", "q-3"),
        ("grant", ""),
        ("question", "q-2"),
        ("refunded", "q-2"),
        ("question", "q-1"),
    ]
    first = rows[-1]
    assert (first.cost, first.model, first.input_tokens, first.output_tokens) == (0.09, "m1", 900, 120)
    assert describe(first) == ("This question cost 0.09 credits", "−0.09")  # a cost, never a positive "settle"
    assert describe(rows[3]) == ("Refunded, nothing charged: the answer was stopped", "0")
    assert describe(rows[1])[1] == "+5" and rows[2].cost == 0.05
    assert rows[0].reserved == 0.5 and "held" in describe(rows[0])[0]
    table = usage_table(rows)
    assert table.iloc[-1].tolist()[1:5] == ["This question cost 0.09 credits", "−0.09", "m1", "900 / 120"]
    assert table.iloc[-1]["tools"] == "Checked stock levels"


def test_the_daily_series_has_every_day_of_the_period_empty_ones_included():
    today = utcnow().astimezone(SAST).date()
    first = today - timedelta(days=29)
    at = datetime.combine(today - timedelta(days=3), time(12), tzinfo=SAST)
    rows = [
        UsageRow(at=at, kind="question", cost=0.25, balance_after=1, model="m1", tools=["stock_level"]),
        UsageRow(at=at, kind="question", cost=0.5, balance_after=1, model="m2"),
        UsageRow(at=at, kind="grant", added=100, balance_after=1),  # a top-up is no use
        UsageRow(at=at - timedelta(days=40), kind="question", cost=9, balance_after=1),  # before the period
    ]
    days = daily_series(rows, first, 30)
    assert [d.day for d in days] == [first + timedelta(days=i) for i in range(30)]
    assert [d.credits for d in days].count(0.0) == 29 and days[26].credits == 0.75
    report = UsageReport(rows=rows, days=days)
    chart_days, by_model = chart_series(report, "model")
    assert len(chart_days) == 30 and by_model["m1"][26] == 0.25 and sum(by_model["m2"]) == 0.5
    _, by_tool = chart_series(report, "tool")
    assert by_tool["Checked stock levels"][26] == TOOL_CALL_MC / 1000


def test_credit_split_by_tool_follows_the_price_list():
    at = utcnow()
    row = UsageRow(
        at=at,
        kind="question",
        cost=0.1,
        balance_after=0,
        tools=["stock_level", "stock_level", "x"],
        embedded_chars=1000,
    )
    parts = split_charge(row)
    assert parts["stock_level"] == 2 * TOOL_CALL_MC / 1000 and parts["x"] == TOOL_CALL_MC / 1000
    assert parts["embeddings"] == 0.01
    scaled = split_charge(row.model_copy(update={"cost": 0.035}))  # the balance ran out: never more than charged
    assert sum(scaled.values()) == pytest.approx(0.035)
    assert split_charge(row.model_copy(update={"cost": 0.0})) == {}


def test_chart_ticks_are_round_and_the_axes_have_units():
    assert nice_ticks(0.83) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert nice_ticks(0.09) == [0.0, 0.025, 0.05, 0.075, 0.1]
    assert nice_ticks(13) == [0.0, 5.0, 10.0, 15.0]
    assert nice_ticks(0) == [0.0, 0.25, 0.5, 0.75, 1.0]
    days = [date(2026, 11, 2) + timedelta(days=i) for i in range(30)]
    svg = stacked_bars_svg(days, {"m1": [0.0] * 29 + [0.083]}, "Credits per day")
    assert svg.count('class="fx-bar"') == 1 and ">credits</text>" in svg and ">day (SAST)</text>" in svg
    ticks = re.findall(r'text-anchor="end" font-size="13">([^<]+)<', svg)
    assert ticks == ["0", "0.025", "0.05", "0.075", "0.1"]
    assert ">1 Dec</text>" in svg and ">24 Nov</text>" in svg  # a label a week, the last day labelled
    assert "#" not in re.sub(r'fill="#[0-9a-f]{6}"', "", svg)  # text and lines take the theme's colour
    assert "No credits used" in stacked_bars_svg(days, {}, "Credits per day")


def hit(dense: float | None, score: float = 0.5, doc: str = "d") -> SearchHit:
    return SearchHit(
        chunk_id="c",
        doc_type="kb",
        doc_id=doc,
        source="s.md",
        title="T",
        text="returns are booked with the courier",
        score=score,
        dense_score=dense,
    )


def test_the_relevance_cue_follows_the_not_found_calibration():
    close, far = hit(0.9, doc="a"), hit(0.3, doc="b")
    question = "how are returns booked"
    assert answerable(question, [close, far]) and not answerable(question, [far, close])
    assert re.findall(r"(Strong|Partial) match", results_html([close, far], question)) == ["Strong", "Partial"]
    assert "Partial match" in results_html([hit(None)], question)  # a keyword-only candidate
    unknown = [hit(0.6, score=0.9, doc="a"), hit(0.55, doc="b")]  # a subject the KB never names
    assert "Strong" not in results_html(unknown, "payroll on ebay")
    weak = results_html([hit(0.3)], "anything")
    assert "Nothing in the knowledge base answers this closely" in weak and "score" not in weak
    assert "answers this closely" not in results_html([close, far], question)
    assert 'href="#fx-kb:c7"' in results_html([close], question, first_ref=7)  # opens its source


def test_answer_numbers_match_the_sources_and_open_in_the_kb_panel():
    answer = "Book the courier [2] after packing [1].\n\nSources: [1] Returns > Packing; [2] Couriers > Booking"
    final = {
        "answer": answer,
        "citations": [
            {"source": "couriers.md", "title": "Couriers > Booking"},
            {"source": "product:X-1", "title": "X"},
            {"source": "returns.md", "title": "Returns > Packing"},
        ],
    }
    text = answer_markdown(final, first_ref=4)  # 4 sources were shown before in this session
    assert "[\\[2\\]](#fx-kb:c4)" in text and "[\\[1\\]](#fx-kb:c6)" in text
    assert "[\\[1\\] Returns › Packing](#fx-kb:c6)" in text and "[\\[2\\] Couriers › Booking](#fx-kb:c4)" in text
    assert "Sources:" not in text and "#fx-ref:" not in text  # the chat's panel does not take these links
    assert credits_line({"usage": {"credits_charged": 0.09}, "credits_balance": 12.5}) == (
        "This answer cost 0.090 credits · 12.500 credits left"
    )


def test_friendly_errors_say_what_happened_without_internals():
    assert friendly_error(Refusal("Sign in first.")) == "Sign in first."
    assert friendly_error(InsufficientCredits("balance 0")).startswith("Out of AI credits")
    assert "about 2 h" in friendly_error(QuotaExceeded("used up", retry_after_seconds=7200))
    text = friendly_error(RuntimeError("secret stack detail"), "ui-123")
    assert "secret" not in text and "ui-123" in text


def test_the_conversation_list_shows_only_once_there_is_a_conversation(monkeypatch):
    """An empty list is hidden (it drew an empty white box under "+ New chat"); the list is the real one of
    `Conversations`, here a stand-in returning what an organisation has (the list itself is tested on the emulator
    in tests/assistant/test_conversation_store.py)."""
    saved: list = []
    with gr.Blocks():
        tab = ChatTab(services=None, key_state=gr.State(None))
    monkeypatch.setattr(
        "ui.chat_conversations.app_conversations.list_conversations", lambda services, principal: list(saved)
    )
    principal = type("Principal", (), {"org_id": "bergveld"})()

    def listing(selected):
        shown = tab.render(ChatView(listing=tab.conversations.listing(principal, selected)), tab.listing)
        return [shown[block] for block in tab.listing]

    assert tab.conversation_list.visible is False
    radio, manage, _, _ = listing(None)
    assert radio.visible is False and manage.visible is False
    saved.append(type("Conversation", (), {"title": "Tent transfer", "id": "c1"})())
    radio, manage, title, stored = listing("c1")
    assert radio.visible is True and radio.choices == [("Tent transfer", "c1")]
    assert manage.visible is True and title == "Tent transfer" and stored == "c1"
