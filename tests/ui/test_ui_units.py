"""The UI's pure parts, without a server: how stream events become chat messages, highlighting, the credit
split by tool, and the role rules of search."""

from __future__ import annotations

from datetime import timedelta

import gradio as gr
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from assistant.contracts import StreamEvent
from assistant.pricing import TOOL_CALL_MC
from domain.credits import EntryKind, LedgerEntry
from domain.errors import InsufficientCredits, QuotaExceeded
from domain.orgs import Role
from domain.store import utcnow
from ui.app import tabs_for
from ui.chat_history import history_from_messages
from ui.chat_render import Turn, decided_card, outcome_of_decision, set_outcome, visible
from ui.chat_tab import ChatTab
from ui.credits_tab import split_charge, usage_frames
from ui.kb_tab import highlight, query_terms, snippet, wanted_type
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
    monkeypatch.setattr("ui.chat_tab.TOKEN_BATCH_SECONDS", 60.0)  # a batch longer than this test
    with gr.Blocks():
        tab = ChatTab(services=None, key_state=gr.State(None))
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

    updates = tab._stream(events(), [{"role": "user", "content": "stock?"}], None, [], "req_1", "stock?")
    shown = []
    for update in updates:
        chat = update[0]
        shown.append((len(read), chat[-1]["content"] if chat[-1]["role"] == "assistant" else ""))
    assert (3, "38 ") in shown  # the first token, shown before "available" was read
    assert (4, "38 available") not in shown  # the second came within the batch: held back, no update of its own


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


def test_credit_split_by_tool_follows_the_price_list():
    details = {
        "charged_mc": 100,
        "tools": ["stock_level", "stock_level", "search_knowledge_base"],
        "embedded_chars": 1000,
    }
    assert split_charge(details) == {
        "stock_level": 2 * TOOL_CALL_MC,
        "search_knowledge_base": TOOL_CALL_MC,
        "embeddings": 10,
    }
    scaled = split_charge({**details, "charged_mc": 35})  # the balance ran out: never more than was charged
    assert sum(scaled.values()) <= 36
    assert split_charge({"charged_mc": 0, "tools": ["x"]}) == {}


def test_usage_frames_sum_settled_calls_per_day_model_and_tool():
    now = utcnow()
    entries = [
        LedgerEntry(
            id="s1",
            kind=EntryKind.settle,
            amount_mc=0,
            balance_after_mc=0,
            created_at=now,
            details={"model": "m1", "charged_mc": 500, "tools": ["stock_level"]},
        ),
        LedgerEntry(
            id="s2",
            kind=EntryKind.settle,
            amount_mc=0,
            balance_after_mc=0,
            created_at=now,
            details={"model": "m1", "charged_mc": 250, "tools": []},
        ),
        LedgerEntry(
            id="old",
            kind=EntryKind.settle,
            amount_mc=0,
            balance_after_mc=0,
            created_at=now - timedelta(days=60),
            details={"model": "m1", "charged_mc": 999},
        ),
        LedgerEntry(id="g", kind=EntryKind.grant, amount_mc=5000, balance_after_mc=5000, created_at=now),
    ]
    by_model, by_tool = usage_frames(entries)
    assert by_model["credits"].tolist() == [0.75]
    assert by_tool.to_dict("records")[0]["tool"] == "stock_level"


def test_friendly_errors_say_what_happened_without_internals():
    assert friendly_error(Refusal("Sign in first.")) == "Sign in first."
    assert friendly_error(InsufficientCredits("balance 0")).startswith("Out of AI credits")
    assert "about 2 h" in friendly_error(QuotaExceeded("used up", retry_after_seconds=7200))
    text = friendly_error(RuntimeError("secret stack detail"), "ui-123")
    assert "secret" not in text and "ui-123" in text
