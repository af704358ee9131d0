"""End to end in headless Chromium: sign in with the demo merchant key, get a cited answer, confirm a stock
transfer and see the stock change. Driven by Playwright for Python with the SYSTEM Chromium (Debian packages
`chromium` and `chromium-driver`, `scripts/install-browser.sh`); Playwright's own browser downloads are never used.
Screenshots of every step go to test-artifacts/ui/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright import sync_api

from tests.conftest import ARTIFACTS
from tests.ui.conftest import ingest_demo_kb

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ARTIFACTS / "ui"
ANSWER_TIMEOUT_MS = 120_000  # the first answer loads the offline model's embeddings on a busy 2-core machine

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing: run scripts/install-browser.sh (Debian packages chromium and chromium-driver)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def page(ui_server) -> Iterator[object]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def bubbles(page) -> list[str]:
    """Texts of the chat messages, oldest first."""
    return page.locator("#chat-history .message").all_inner_texts()


def ask(page, question: str, expect: str | re.Pattern[str]) -> None:
    credits_before = page.locator("#chat-credits").inner_text()
    page.locator("#chat-input textarea").fill(question)
    page.locator("#chat-send").click()
    sync_api.expect(page.locator("#chat-history")).to_contain_text(question)
    # The answer is final once its credits line replaces the previous one (the last step of the stream).
    credits = page.locator("#chat-credits")
    sync_api.expect(credits).not_to_have_text(credits_before, timeout=ANSWER_TIMEOUT_MS)
    sync_api.expect(credits).to_contain_text("credits left")
    sync_api.expect(page.locator("#chat-history")).to_contain_text(expect)


def test_merchant_signs_in_asks_confirms_a_transfer_and_sees_the_stock_change(ui_server, page):
    services = ui_server.services
    ingest_demo_kb(services)
    page.goto(ui_server.ui_url)
    sync_api.expect(page.locator("#signin-button")).to_be_visible()
    sync_api.expect(page.get_by_role("tab", name="Chat")).to_have_count(0)  # nothing to see before signing in
    shot(page, "01-sign-in")

    # Wrong key first: a clear message, still no tabs.
    page.locator("#signin-key input").fill("fx_wrong")
    page.locator("#signin-button").click()
    sync_api.expect(page.locator("#signin-status")).to_contain_text("not valid")
    shot(page, "02-wrong-key")

    page.locator("#signin-demo input").click()
    page.get_by_role("option", name=re.compile(r"Berg & Veld Outdoor · merchant")).click()
    page.locator("#signin-button").click()
    sync_api.expect(page.locator("#signin-status")).to_contain_text("Signed in to Berg & Veld Outdoor")
    sync_api.expect(page.get_by_role("tab", name="Chat")).to_be_visible()
    sync_api.expect(page.get_by_role("tab", name="Admin")).to_have_count(0)  # merchants have no admin tab
    assert page.locator("#signin-key input").input_value() == ""  # the key is not kept in the page
    shot(page, "03-signed-in")

    # A how-to question: answered from the help centre, with its sources.
    ask(page, "how do stock transfers work?", "Sources")
    page.locator("#chat-history").get_by_text(re.compile(r"Sources \(\d+\)")).last.click()  # expand the sources
    sync_api.expect(page.locator("#chat-history details").first).to_be_visible()
    shot(page, "04-cited-answer")
    assert any("transfer" in text.lower() for text in bubbles(page))

    jhb = services.inventory.level("bergveld", "BV-TENT-0001", "JHB").available
    dbn = services.inventory.level("bergveld", "BV-TENT-0001", "DBN").available
    ask(page, "move 5 BV-TENT-0001 from Johannesburg to Durban", "Please confirm")
    sync_api.expect(page.locator("#chat-confirm")).to_be_visible()
    sync_api.expect(page.locator("#chat-pending")).to_contain_text("Move 5 x BV-TENT-0001 from JHB to DBN")
    assert services.inventory.level("bergveld", "BV-TENT-0001", "DBN").available == dbn  # not before confirming
    shot(page, "05-confirm-requested")

    page.locator("#chat-confirm").click()
    sync_api.expect(page.locator("#chat-history")).to_contain_text("Done: moved 5", timeout=ANSWER_TIMEOUT_MS)
    sync_api.expect(page.locator("#chat-confirm")).to_be_hidden()
    assert services.inventory.level("bergveld", "BV-TENT-0001", "JHB").available == jhb - 5
    assert services.inventory.level("bergveld", "BV-TENT-0001", "DBN").available == dbn + 5
    shot(page, "06-transfer-done")

    # The assistant now reports the new stock in Durban.
    ask(page, "how many BV-TENT-0001 do we have in Durban?", f"{dbn + 5} available")
    shot(page, "07-stock-changed")

    page.get_by_role("tab", name="Credits & usage").click()
    page.locator("#credits-refresh").click()
    sync_api.expect(page.locator("#credits-summary")).to_contain_text("Balance:")
    sync_api.expect(page.locator("#credits-ledger")).to_contain_text("settle")
    sync_api.expect(page.locator("#credits-by-model .fx-bar").first).to_be_visible()
    sync_api.expect(page.locator("#credits-by-tool .fx-bar").first).to_be_visible()
    shot(page, "08-credits")

    page.get_by_role("tab", name="Knowledge base").click()
    page.locator("#kb-query textarea").fill("Takealot returns")
    page.locator("#kb-search").click()
    sync_api.expect(page.locator("#kb-results .fx-hit").first).to_be_visible()
    shot(page, "09-kb-search")


def sign_in_with_key(page, key: str, expect: str) -> None:
    page.locator("#signin-key input").fill(key)
    page.locator("#signin-button").click()
    sync_api.expect(page.locator("#signin-status")).to_contain_text(expect)


def test_support_and_admin_see_only_their_tabs(ui_server, page, tmp_path):
    page.goto(ui_server.ui_url)
    sign_in_with_key(page, "fx_demo_bergveld_support", "as support")
    sync_api.expect(page.get_by_role("tab", name="Knowledge base")).to_be_visible()
    for hidden in ("Chat", "Credits & usage", "Admin"):
        sync_api.expect(page.get_by_role("tab", name=hidden)).to_have_count(0)
    page.locator("#kb-query textarea").fill("How do I handle a Takealot return?")
    page.locator("#kb-answer").click()
    sync_api.expect(page.locator("#kb-answer-text")).to_contain_text("Sources", timeout=ANSWER_TIMEOUT_MS)
    page.locator("#kb-answer-text details").first.click()  # open the first source
    shot(page, "10-support-answer-with-citations")

    page.locator("#signout-button").click()
    sync_api.expect(page.locator("#signin-status")).to_contain_text("Signed out")
    sync_api.expect(page.get_by_role("tab", name="Knowledge base")).to_have_count(0)

    sign_in_with_key(page, "fx_demo_bergveld_admin", "as admin")
    page.get_by_role("tab", name="Admin").click()
    article = tmp_path / "generator-fuel-policy.md"
    article.write_text("# Generator fuel policy\n\nKeep 200 litres of diesel for the warehouse generator in CPT.\n")
    page.locator("#admin-files input[type=file]").set_input_files(str(article))
    sync_api.expect(page.locator("#admin-files")).to_contain_text("generator-fuel-policy.md")
    page.locator("#admin-ingest").click()
    sync_api.expect(page.locator("#admin-ingest-status")).to_contain_text("Ingestion finished", timeout=60_000)
    balance = ui_server.services.credits.account("bergveld").balance_mc
    page.locator("#admin-grant-amount input").fill("25")
    page.locator("#admin-grant-note textarea").fill("browser test top-up")
    page.locator("#admin-grant").click()
    sync_api.expect(page.locator("#admin-grant-status")).to_contain_text("Granted 25 credits")
    assert ui_server.services.credits.account("bergveld").balance_mc == balance + 25_000
    shot(page, "11-admin-upload-and-grant")
