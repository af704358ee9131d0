"""The UI's Gradio endpoints as a client sees them: `gradio_client` against a real server (emulator, demo data,
offline model). Each `Client` is one browser session, so it keeps its own signed-in key on the server."""

from __future__ import annotations

import re
from typing import Any

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from assistant.application import credits as app_credits
from assistant.conversations import Conversations
from domain.credits import MC_PER_CREDIT
from domain.orgs import Role
from tests.ui.conftest import ingest_demo_kb
from ui.app import UI_PATH
from ui.credits_tab import amount_text
from ui.session import WRONG_KEY

pytestmark = pytest.mark.slow

MERCHANT = "fx_demo_bergveld_merchant"
SUPPORT = "fx_demo_bergveld_support"
ADMIN = "fx_demo_bergveld_admin"
CHAT_OUTPUTS = ("history", "credits")


def sign_in(session: Client, key: str) -> tuple[str, str]:
    """(session token kept by the browser, status line) of a sign-in."""
    token, _, status = session.predict(key, None, api_name="/sign_in")[:3]
    return token, status


def client(server: Any, key: str | None = None) -> Client:
    # Uploads need an admin's key or session besides the sign-in (ui.upload_guard); API clients send the key.
    headers = {"Authorization": f"Bearer {key}"} if key == ADMIN else None
    session = Client(server.ui_url, verbose=False, headers=headers)
    if key:
        token, status = sign_in(session, key)
        assert status.startswith("Signed in"), status
        assert token.startswith("fxs1.") and key not in token  # the page keeps a signed token, never the key
    return session


def chat(session: Client, message: str) -> dict[str, Any]:
    return dict(zip(CHAT_OUTPUTS, session.predict(message, api_name="/chat"), strict=True))


def confirm(session: Client, approve: bool = True) -> dict[str, Any]:
    return dict(zip(CHAT_OUTPUTS, session.predict(api_name="/confirm" if approve else "/reject"), strict=True))


def text_of(message: dict[str, Any]) -> str:
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def last_answer(result: dict[str, Any]) -> str:
    answers = [m for m in result["history"] if m["role"] == "assistant" and not m.get("metadata")]
    return text_of(answers[-1])


def chips(result: dict[str, Any]) -> list[str]:
    """Title and outcome of each tool chip, e.g. "✔ Checked stock levels: done"."""
    return [f"{m['metadata']['title']}: {m['metadata'].get('log', '')}" for m in result["history"] if m.get("metadata")]


def credits_left(result: dict[str, Any]) -> float:
    match = re.search(r"([\d,]+\.\d+) credits left", result["credits"])
    assert match, result["credits"]
    return float(match.group(1).replace(",", ""))


def test_the_ui_is_served_at_ui(ui_server):
    import httpx

    page = httpx.get(ui_server.base_url + UI_PATH + "/", follow_redirects=True, timeout=30)
    assert page.status_code == 200
    assert "<title>Fluxori Assistant</title>" in page.text or "gradio" in page.text.lower()


def test_a_wrong_key_gets_a_clear_message_and_no_access(ui_server):
    session = client(ui_server)
    token, status = sign_in(session, "fx_not_a_key")
    assert WRONG_KEY in status and not token
    # Not signed in: the chat endpoint (reachable even though its tab is hidden) refuses in words.
    result = chat(session, "how many BV-TENT-0001 do we have in Cape Town?")
    assert "Sign in with an API key first" in last_answer(result)
    assert "Traceback" not in str(result)


def test_merchant_gets_the_real_stock_and_pays_credits(ui_server):
    services = ui_server.services
    session = client(ui_server, MERCHANT)
    before = services.credits.account("bergveld").balance_mc / MC_PER_CREDIT
    level = services.inventory.level("bergveld", "BV-TENT-0001", "CPT")

    first = chat(session, "how many BV-TENT-0001 do we have in Cape Town?")
    answer = last_answer(first)
    assert f"{level.available} available" in answer, answer
    assert "✔ Checked stock levels: done" in chips(first)
    left = credits_left(first)
    assert left < before
    assert left == pytest.approx(services.credits.account("bergveld").balance_mc / MC_PER_CREDIT, abs=0.001)
    assert "(#fx-ref:product:BV-TENT-0001)" in answer  # the product reference is a link to its card

    second = chat(session, "and in Durban?")
    assert credits_left(second) < left  # every answer is charged, and the UI shows what is left

    summary, table, by_model, by_tool = session.predict(api_name="/credits")
    assert "Balance:" in summary and "Daily quota:" in summary
    # One row per question with what it cost (no reserve / settle pairs), the same rows as the API's.
    rows = [dict(zip(table["headers"], row, strict=True)) for row in table["data"]]
    principal = services.api_keys.authenticate(MERCHANT)
    report = app_credits.usage(services, principal)
    questions = [row for row in report.rows if row.kind == "question"]
    assert len([r for r in rows if r["what"].startswith("This question cost")]) == len(questions) >= 2
    newest = rows[0]
    assert newest["what"] == f"This question cost {amount_text(questions[0].cost)} credits"
    assert newest["credits"] == f"−{amount_text(questions[0].cost)}" and questions[0].cost > 0
    assert newest["model"] == "fluxori-offline-1" and re.fullmatch(r"[\d,]+ / [\d,]+", newest["tokens in / out"])
    assert any(q.cost == pytest.approx(before - left, abs=0.0015) for q in questions)  # what the chat said
    assert not any(word in str(rows) for word in ("settle", "reserve"))
    assert any(r["what"].startswith("Top-up") for r in rows)  # the demo grant
    assert "fluxori-offline-1" in by_model and 'class="fx-bar"' in by_model
    assert "Checked stock levels" in by_tool and 'class="fx-bar"' in by_tool


def test_a_transfer_waits_for_confirmation_then_changes_the_stock(ui_server):
    services = ui_server.services
    session = client(ui_server, MERCHANT)
    jhb = services.inventory.level("bergveld", "BV-TENT-0001", "JHB").available
    dbn = services.inventory.level("bergveld", "BV-TENT-0001", "DBN").available

    proposed = chat(session, "move 5 BV-TENT-0001 from Johannesburg to Durban")
    card = proposed["history"][-1]
    assert [o["value"] for o in card["options"]] == ["confirm", "reject"]
    assert "Move 5 x BV-TENT-0001 from JHB to DBN" in text_of(card)
    assert "○ Stock transfer: waiting for your confirmation" in chips(proposed)
    assert not any("Please confirm" in text_of(m) for m in proposed["history"])  # the card is the message
    assert services.inventory.level("bergveld", "BV-TENT-0001", "JHB").available == jhb  # nothing moved yet

    done = confirm(session)
    card = done["history"][-1]
    assert text_of(card).startswith("✔ **Confirmed**") and "Done: moved 5" in text_of(card)
    assert not card.get("options")
    assert "✔ Stock transfer: done" in chips(done)  # no longer "waiting"
    assert services.inventory.level("bergveld", "BV-TENT-0001", "JHB").available == jhb - 5
    assert services.inventory.level("bergveld", "BV-TENT-0001", "DBN").available == dbn + 5

    again = confirm(session)  # nothing is pending any more: a clear message, no second transfer
    assert "nothing waiting" in text_of(again["history"][-1])
    assert services.inventory.level("bergveld", "BV-TENT-0001", "JHB").available == jhb - 5


def test_a_rejected_transfer_changes_nothing(ui_server):
    services = ui_server.services
    session = client(ui_server, MERCHANT)
    cpt = services.inventory.level("bergveld", "BV-TENT-0001", "CPT").available
    chat(session, "move 2 BV-TENT-0001 from Cape Town to Durban")
    rejected = confirm(session, approve=False)
    assert text_of(rejected["history"][-1]).startswith("✖ **Rejected**")
    assert "✖ Stock transfer: you rejected it; nothing changed" in chips(rejected)  # the user's choice, no error
    assert services.inventory.level("bergveld", "BV-TENT-0001", "CPT").available == cpt


def test_a_refused_write_says_not_done_with_the_reason(ui_server):
    services = ui_server.services
    session = client(ui_server, MERCHANT)
    chat(session, "move 4 BV-TENT-0002 from Cape Town to Durban")
    # Before the merchant confirms, most of the stock goes elsewhere: the transfer can no longer run.
    cpt = services.inventory.level("bergveld", "BV-TENT-0002", "CPT").available
    services.inventory.adjust("bergveld", "BV-TENT-0002", "CPT", -(cpt - 1), "ui test: counted short")
    try:
        refused = confirm(session)
        card = text_of(refused["history"][-1])
        assert card.startswith("⚠ **Not done**") and "available" in card, card
        assert any(chip.startswith("⚠ Stock transfer: not done") for chip in chips(refused))  # not "success"
        assert services.inventory.level("bergveld", "BV-TENT-0002", "CPT").available == 1
    finally:
        services.inventory.adjust("bergveld", "BV-TENT-0002", "CPT", cpt - 1, "ui test: found again")


def test_conversations_are_renamed_and_deleted(ui_server):
    conversations = Conversations(ui_server.services.store)
    session = client(ui_server, "fx_demo_fynbos_merchant")
    chat(session, "what is running low?")
    [listed] = conversations.list("fynbos")
    assert listed.title == "what is running low?"
    radio, title = session.predict("Reorder check", api_name="/rename")[:2]
    assert radio["value"] == listed.id and radio["choices"] == [["Reorder check", listed.id]]
    assert title == "Reorder check"
    assert conversations.list("fynbos")[0].title == "Reorder check"
    assert "Reorder check" not in str([c.title for c in conversations.list("bergveld")])
    session.predict(api_name="/delete")
    assert conversations.list("fynbos") == []


def test_roles_are_checked_by_every_endpoint(ui_server):
    support = client(ui_server, SUPPORT)
    result = chat(support, "how many BV-TENT-0001 do we have in Cape Town?")
    assert "needs the merchant role" in last_answer(result)
    assert "needs the admin role" in support.predict(5, "no", api_name="/grant")[0]
    assert "needs the merchant or admin role" in support.predict(api_name="/credits")[0]
    merchant = client(ui_server, MERCHANT)
    assert "needs the admin role" in merchant.predict(5, "no", api_name="/grant")[0]
    assert "needs the admin role" in merchant.predict(None, api_name="/documents")[-1]


def test_admin_grants_credits_once_per_confirmation(ui_server):
    services = ui_server.services
    admin = client(ui_server, ADMIN)
    before = services.credits.account("bergveld").balance_mc
    status, question = admin.predict(10, "ui test", api_name="/grant")
    assert status == "" and "Grant 10 credits to Berg & Veld Outdoor (`bergveld`)?" in question
    assert services.credits.account("bergveld").balance_mc == before  # nothing until Confirm
    granted, amount, note = admin.predict(api_name="/grant_confirm")
    assert "Granted 10 credits" in granted and (amount, note) == (100, "")  # the form starts over
    admin.predict(api_name="/grant_confirm")  # a second click: its question was answered, nothing happens
    admin.predict(10, "ui test again", api_name="/grant")
    assert "Cancelled" in admin.predict(api_name="/grant_cancel")
    admin.predict(api_name="/grant_confirm")
    assert services.credits.account("bergveld").balance_mc == before + 10 * MC_PER_CREDIT
    assert "above 0" in admin.predict(-3, "", api_name="/grant")[0]
    assert services.credits.ledger_total("bergveld") == services.credits.account("bergveld").balance_mc


def test_out_of_credits_and_quota_are_friendly_messages(ui_server):
    services = ui_server.services
    services.orgs.create("kalahari-kids", "Kalahari Kids")
    services.credits.open_account("kalahari-kids")
    key = services.api_keys.create("kalahari-kids", Role.merchant, label="ui test")
    broke = chat(client(ui_server, key), "how many KK-TOY-0001 do we have?")
    assert "Out of AI credits" in last_answer(broke)
    assert "Traceback" not in str(broke)

    services.credits.set_daily_quota("fynbos", 1)  # 0.001 credits: below one reservation
    limited = chat(client(ui_server, "fx_demo_fynbos_merchant"), "what is running low?")
    assert "Daily AI quota reached" in last_answer(limited)


def test_oversized_message_says_what_to_fix(ui_server):
    session = client(ui_server, MERCHANT)
    limit = ui_server.services.settings.max_message_chars
    result = chat(session, "x" * (limit + 1))
    assert "Please change the input" in last_answer(result) and str(limit) in last_answer(result)


@pytest.fixture(scope="module")
def kb_indexed(ui_server):
    report = ingest_demo_kb(ui_server.services)
    assert report.added > 0 and report.failed == 0
    return report


def test_search_shows_ranked_results_with_the_terms_in_bold(ui_server, kb_indexed):
    merchant = client(ui_server, MERCHANT)
    results, status = merchant.predict("Takealot returns", "kb", 5, api_name="/search")
    assert status.startswith("5 results"), status
    assert results.count('class="fx-hit"') == 5
    assert "<b>Takealot</b>" in results or "<b>takealot</b>" in results.lower()
    assert '1. <a href="#fx-kb:c0"><b>' in results  # ranked, and each result opens


def test_support_searches_the_help_centre_only(ui_server, kb_indexed):
    support = client(ui_server, SUPPORT)
    results, _ = support.predict("return policy", "kb", 10, api_name="/search")
    assert results.count('class="fx-hit"') > 0
    assert results.count(" · kb</div>") == results.count('class="fx-hit"')  # every hit is a help-centre article
    # The type filter offers support staff the help centre only; asking for orders is refused by Gradio itself.
    with pytest.raises(AppError):
        support.predict("order 1042", "order", 5, api_name="/search")


def test_search_results_show_a_relevance_cue_and_open_the_whole_article(ui_server, kb_indexed):
    merchant = client(ui_server, MERCHANT)
    results, _ = merchant.predict("how do stock transfers work?", "kb", 3, api_name="/search")
    assert "Strong match" in results and "score" not in results  # words, not an RRF number
    first = re.search(r'href="#fx-kb:(c\d+)"><b>([^<]+)</b>', results)
    assert first, results
    article = merchant.predict(first.group(1), api_name="/open")
    assert f">{first.group(2)}</h3>" in article  # the article itself, whole: every section
    assert article.count('class="fx-section') > 1 and article.count("fx-cited") == 1  # the passage highlighted
    assert "Not found" not in article
    nothing, _ = merchant.predict("payroll tax for eBay sellers in Norway", "kb", 3, api_name="/search")
    assert "Nothing in the knowledge base answers this closely" in nothing and "Partial match" in nothing
    assert "Strong match" not in nothing


def test_an_internal_article_does_not_open_for_a_merchant(ui_server, kb_indexed):
    """Opening goes through the audience check: a reference the page did not offer opens nothing."""
    merchant = client(ui_server, MERCHANT)
    article = merchant.predict("c99", api_name="/open")
    assert "Nothing to show" in article


def test_support_gets_a_streamed_answer_with_numbered_citations(ui_server, kb_indexed):
    support = client(ui_server, SUPPORT)
    job = support.submit("How do I handle a Takealot return?", api_name="/answer")
    answer, credits, _ = job.result()
    updates = [out[0] for out in job.outputs() if out[0]]
    assert len(updates) >= 3 and updates[-1] == answer  # streamed: several texts before the last
    assert len(updates[1]) < len(answer)
    assert re.match(r"This answer cost \d+\.\d{3} credits · [\d,]+\.\d{3} credits left", credits), credits
    # Every [n] in the text opens the source the Sources line numbers n.
    sources = dict(re.findall(r"\[\\\[(\d+)\\\] [^\]]+\]\(#fx-kb:(c\d+)\)", answer))
    markers = re.findall(r"\[\\\[(\d+)\\\]\]\(#fx-kb:(c\d+)\)", answer)
    assert sources and markers, answer
    assert all(sources[n] == ref for n, ref in markers)
    article = support.predict(markers[0][1], api_name="/open")
    assert "fx-cited" in article


def test_an_answer_that_is_not_in_the_knowledge_base_offers_the_nearest_articles(ui_server, kb_indexed):
    support = client(ui_server, SUPPORT)
    answer, *_ = support.predict("What is the payroll tax for eBay sellers in Norway?", api_name="/answer")
    assert "could not find" in answer and "**Nearest articles**" in answer, answer
    ref = re.search(r"\]\(#fx-kb:(c\d+)\)", answer.split("Nearest articles")[1])
    assert ref and "fx-ref-title" in support.predict(ref.group(1), api_name="/open")


def test_admin_uploads_a_kb_file_and_it_becomes_searchable(ui_server, tmp_path):
    article = tmp_path / "braai-safety.md"
    article.write_text(
        "# Braai safety at trade shows\n\nKeep a fire extinguisher within three metres of every braai stand and "
        "never leave a lit potjie pot unattended.\n"
    )
    admin = client(ui_server, ADMIN)
    report = admin.predict([handle_file(str(article))], api_name="/ingest")
    assert "**added** 1" in report and "**failed** 0" in report, report
    results, _ = admin.predict("fire extinguisher braai stand", "kb", 3, api_name="/search")
    assert "braai-safety.md" in results
    again = admin.predict([handle_file(str(article))], api_name="/ingest")
    assert "**unchanged** 1" in again  # the same file twice is not indexed twice
    assert "Choose one or more files" in admin.predict([], api_name="/ingest")
