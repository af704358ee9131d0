"""The UI's pure parts, without a server: how stream events become chat messages, highlighting, the credit
split by tool, and the role rules of search."""

from __future__ import annotations

from datetime import timedelta

from assistant.contracts import StreamEvent
from assistant.pricing import TOOL_CALL_MC
from domain.credits import EntryKind, LedgerEntry
from domain.errors import InsufficientCredits, QuotaExceeded
from domain.orgs import Role
from domain.store import utcnow
from ui.app import tabs_for
from ui.chat_tab import Turn, actions_markdown, citations_markdown
from ui.credits_tab import split_charge, usage_frames
from ui.kb_tab import highlight, query_terms, snippet, wanted_type
from ui.session import Refusal, friendly_error


def event(kind: str, **data) -> StreamEvent:
    return StreamEvent(event=kind, data=data)


def test_a_turn_streams_tokens_lists_actions_and_ends_with_the_final_answer():
    turn = Turn([{"role": "user", "content": "stock?"}])
    turn.apply(event("tool_call", tool="stock_level", args={"product": "BV-TENT-0001"}))
    assert turn.history[-1]["metadata"] == {"title": "Action: stock_level", "status": "pending"}
    turn.apply(event("tool_result", tool="stock_level", status="success"))
    assert turn.history[-1]["metadata"]["status"] == "done"
    turn.apply(event("token", text="38 "))
    turn.apply(event("token", text="avail"))
    assert turn.history[-1]["content"] == "38 avail"
    final = {
        "answer": "38 available",
        "citations": [{"source": "product:BV-TENT-0001", "title": "Dome <Tent>", "snippet": "a & b"}],
        "pending_confirmation": None,
    }
    turn.apply(event("final", **final))
    assert turn.history[-2]["content"] == "38 available"  # the final answer replaces the streamed text
    sources = turn.history[-1]
    assert sources["metadata"]["title"] == "Sources (1)"
    assert "Dome &lt;Tent&gt;" in sources["content"] and "a &amp; b" in sources["content"]  # escaped
    assert turn.pending is None


def test_a_paused_write_offers_confirmation():
    turn = Turn([])
    turn.apply(event("tool_call", tool="transfer_stock", args={"quantity": 5}))
    turn.apply(event("confirmation", id="c1", summary="Move 5"))
    turn.apply(event("final", answer="Please confirm: Move 5", pending_confirmation={"id": "c1", "summary": "Move 5"}))
    assert turn.pending == {"id": "c1", "summary": "Move 5"}
    assert turn.history[0]["metadata"]["log"] == "waiting for your confirmation"
    assert turn.history[-1]["content"] == "Please confirm: Move 5"


def test_actions_and_citations_render_as_text():
    text = actions_markdown([{"tool": "transfer_stock", "args": {"quantity": 5}, "status": "needs_confirmation"}])
    assert "`transfer_stock` (quantity=5): needs confirmation" in text
    assert actions_markdown([]).startswith("_No actions")
    assert citations_markdown([{"source": "kb/a.md", "title": "A"}]).count("<details>") == 1


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
