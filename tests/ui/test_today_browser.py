"""The Today card in headless Chromium (the system browser, as `test_browser_e2e.py`), on a laptop (1280x800) and
a phone (390x844), light and dark: the bergveld merchant signs in and finds the card above the empty chat with
the briefing's sections, readable (contrast) and within the screen's width; its stockouts (or reorder) button
starts the conversation, which shows the prompt and an answer with a table while the card hides; a new chat
brings the card back. Support staff and admins never see it, another user's card never shows after a sign-out,
and a failing briefing is one line that does not stop the chat. Screenshots in test-artifacts/ui/today-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright import sync_api

from assistant.application import briefing as app_briefing
from tests.ui.test_browser_e2e import (
    ANSWER_TIMEOUT_MS,
    CHROMIUM,
    CHROMIUM_ARGS,
    LAPTOP,
    PHONE,
    SHOTS,
    ask,
    expect,
    open_page,
    set_sidebar,
    shot,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

MERCHANT = "fx_demo_bergveld_merchant"
CARD = "#today-card .fx-today"
# The contrast of an element's text against the first opaque background behind it (WCAG formula), in the page.
TEXT_CONTRAST_JS = """(el) => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let node = el, bg = null;
  while (node) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) { bg = c; break; }
    node = node.parentElement;
  }
  bg = bg || [255, 255, 255];
  const fg = rgb(getComputedStyle(el).color);
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return {fg: fg.join(','), bg: bg.join(','), ratio: (a + 0.05) / (b + 0.05)};
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def name_of(viewport: dict[str, int], mode: str) -> str:
    return f"{'laptop' if viewport is LAPTOP else 'phone'}-{mode}"


def shown_card(page):
    card = page.locator(CARD)
    expect(card).to_be_visible(timeout=60_000)  # the first plan of an organisation reads its 90 days of orders
    expect(card).to_contain_text("Today")
    return card


def readable(page, card) -> None:
    """Every kind of text on the card reads against what is behind it, and nothing runs off the screen's side."""
    parts = (".fx-today-head b", ".fx-today-date", ".fx-today-title", ".fx-today-count", ".fx-today-line")
    for part in (*parts, "button.fx-today-go", ".fx-today-more", ".fx-today-clear"):
        target = card.locator(part).first
        if target.count():
            contrast = target.evaluate(TEXT_CONTRAST_JS)
            assert contrast["ratio"] >= 4.5, (part, contrast)
    box, width = card.bounding_box(), page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, box
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def reorder_button(card):
    """The stockouts section's button, or (a day without stockouts in lead time) the reorder plan asked for."""
    stockouts = card.locator('[data-kind="stockouts"] button.fx-today-go')
    if stockouts.count():
        return stockouts.first
    return card.locator("button.fx-today-go", has_text=re.compile("reorder", re.IGNORECASE)).first


@pytest.mark.parametrize(("viewport", "mode"), [(LAPTOP, "light"), (PHONE, "dark")], ids=["laptop-light", "phone-dark"])
def test_the_today_card_starts_the_conversation_and_comes_back_for_a_new_chat(browser, ui_server, viewport, mode):
    services = ui_server.services
    name = name_of(viewport, mode)
    found = app_briefing.briefing_for(services, "bergveld")
    busy = [section for section in found.sections if section.items]
    assert any(section.kind == "stockouts" for section in busy), [s.kind for s in busy]  # the demo has some

    page = open_page(browser, ui_server, viewport, mode)
    sign_in(page, MERCHANT, "Signed in to Berg & Veld Outdoor")
    card = shown_card(page)
    for section in busy:  # every section with something to say, with its figures
        block = card.locator(f'[data-kind="{section.kind}"]')
        expect(block).to_contain_text(section.title)
        if section.kind != "credits":
            expect(block.locator(".fx-today-count")).to_have_text(str(section.total))
    first = next(s for s in busy if s.kind == "stockouts").items[0]
    expect(card.locator('[data-kind="stockouts"]')).to_contain_text(first.sku)
    shot(page, f"today-01-{name}-card")
    readable(page, card)
    if viewport is LAPTOP:  # the card and the input box fit on a laptop's screen together
        box = page.locator("#chat-input").bounding_box()
        assert box["y"] + box["height"] <= viewport["height"], box

    button = reorder_button(card)
    prompt = button.get_attribute("data-fx-prompt")
    assert prompt and prompt.startswith(button.inner_text().strip())
    button.click()
    history = page.locator("#chat-history")
    expect(history).to_contain_text(prompt, timeout=ANSWER_TIMEOUT_MS)  # sent as the user's message
    expect(page.locator("#chat-stop")).to_be_hidden(timeout=ANSWER_TIMEOUT_MS)
    expect(history.locator("table").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)  # the plan, as a table
    expect(page.locator("#today-card")).to_be_hidden()
    assert page.locator("#chat-input textarea").input_value() == ""
    expect(page.locator("#chat-credits")).to_contain_text("this answer")  # a turn like a typed one: its cost
    shot(page, f"today-02-{name}-answer")

    if viewport is PHONE:
        set_sidebar(page, True)
    page.locator("#chat-new").click()
    expect(page.locator("#chat-history .message-row")).to_have_count(0)
    card = shown_card(page)
    readable(page, card)
    shot(page, f"today-03-{name}-new-chat")
    page.context.close()


@pytest.mark.parametrize(("viewport", "mode"), [(LAPTOP, "dark"), (PHONE, "light")], ids=["laptop-dark", "phone-light"])
def test_the_card_reads_in_the_other_modes(browser, ui_server, viewport, mode):
    page = open_page(browser, ui_server, viewport, mode)
    sign_in(page, MERCHANT, "Signed in to Berg & Veld Outdoor")
    readable(page, shown_card(page))
    shot(page, f"today-04-{name_of(viewport, mode)}-card")
    page.context.close()


def test_support_and_admin_never_see_the_card_nor_another_merchants(browser, ui_server):
    page = open_page(browser, ui_server, LAPTOP, "light")
    sign_in(page, MERCHANT, "Signed in to Berg & Veld Outdoor")
    expect(shown_card(page)).to_contain_text("BV-")
    for key, role in (("fx_demo_bergveld_support", "as support"), ("fx_demo_bergveld_admin", "as admin")):
        page.locator("#signout-button").click()
        expect(page.locator("#signin-status")).to_contain_text("Signed out")
        sign_in(page, key, role)
        page.wait_for_timeout(1500)  # the card's load has come back by now (for a merchant it would show)
        assert page.locator(CARD).count() == 0  # nor is the card's text anywhere in the page, hidden or not
        assert "BV-" not in page.evaluate("() => document.querySelector('#today-card')?.textContent || ''")
    page.locator("#signout-button").click()
    sign_in(page, "fx_demo_fynbos_merchant", "Signed in to")
    card = shown_card(page)
    assert "BV-" not in card.inner_text()  # the card is the new merchant's own
    page.context.close()


def test_a_failing_briefing_is_one_line_and_the_chat_still_answers(browser, ui_server, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the planning service is down")

    monkeypatch.setattr(app_briefing, "build", broken)
    page = open_page(browser, ui_server, LAPTOP, "light")
    sign_in(page, MERCHANT, "Signed in to Berg & Veld Outdoor")
    card = page.locator("#today-card .fx-today-failed")
    expect(card).to_be_visible(timeout=30_000)
    expect(card).to_contain_text("Today's briefing is not available right now")
    assert "planning service is down" not in card.inner_text() and "Traceback" not in card.inner_text()
    assert len(card.inner_text().strip().splitlines()) == 1
    readable(page, card)
    shot(page, "today-05-laptop-light-failed")
    ask(page, "what is running low?")
    expect(page.locator("#chat-history .message-row")).not_to_have_count(0)
    expect(page.locator("#today-card")).to_be_hidden()
    page.context.close()
