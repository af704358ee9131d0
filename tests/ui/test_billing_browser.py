"""Buying credits in headless Chromium (the system browser, as `test_browser_e2e.py`), on a laptop (1280x800) and a
phone (390x844): the bergveld admin opens Credits, picks a pack, Buy, continues to PayFast (the local sandbox the
app mounts), pays, watches the return page reach "complete", goes back to Fluxori still signed in, and finds the
balance grown by the pack's credits and the new tax invoice listed, whose PDF downloads. Screenshots in
test-artifacts/ui/."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright import sync_api

from domain.credits import MC_PER_CREDIT, credits_text
from tests.ui.test_browser_e2e import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LAPTOP,
    PHONE,
    SHOTS,
    expect,
    open_page,
    shot,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

ADMIN = "fx_demo_bergveld_admin"
CREDITS_TAB = "Credits & usage"
PACK, PACK_LABEL, PACK_CREDITS = "growth", "5,500 credits: R500.00 + VAT R75.00 = R575.00", 5500
PAYFAST_FIELDS = {
    "merchant_id",
    "merchant_key",
    "return_url",
    "cancel_url",
    "notify_url",
    "m_payment_id",
    "amount",
    "item_name",
    "item_description",
    "signature",
}
BALANCE = re.compile(r"Balance:\s*([\d,]+(?:\.\d+)?) credits")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def open_credits_tab(page) -> None:
    """The tab, in the row of tabs or in Gradio's "..." menu on a phone. Gradio lays the tabs out after a sign-in
    (and again after the return from PayFast), so which of the two holds it is asked until one does."""
    tab = page.get_by_role("tab", name=CREDITS_TAB)
    menu = page.locator("#tabs .overflow-menu button")
    item = page.locator("#tabs .overflow-dropdown button", has_text=CREDITS_TAB)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if tab.count() and tab.first.is_visible():
            tab.first.click()
            return
        if item.count() and item.first.is_visible():
            item.first.dispatch_event("click")  # dispatched: a sidebar's toggle may lie over the menu
            return
        if menu.count() and menu.first.is_visible():
            menu.first.dispatch_event("click")  # opens the menu (or closes it again if it was open but empty)
            page.wait_for_timeout(500)
            continue
        page.wait_for_timeout(250)
    raise AssertionError(f"no {CREDITS_TAB} tab to open")


def open_credits(page) -> int:
    """Open the Credits tab once its figures are there; the balance it shows, in millicredits."""
    open_credits_tab(page)
    summary = page.locator("#credits-summary")
    expect(summary).to_contain_text("Balance:")
    expect(page.locator("#buy-pack")).to_contain_text(PACK_LABEL)  # the admin's part has loaded too
    match = BALANCE.search(summary.inner_text())
    assert match, summary.inner_text()
    return round(float(match.group(1).replace(",", "")) * MC_PER_CREDIT)


def test_the_ui_settings_know_the_port_the_server_listens_on(ui_server):
    assert ui_server.services.billing_settings.public_url == ui_server.base_url  # PayFast returns and notifies here


@pytest.mark.parametrize(("viewport", "mode", "name"), [(LAPTOP, "light", "laptop"), (PHONE, "dark", "phone")])
def test_an_admin_buys_a_pack_and_sees_the_balance_and_the_invoice(browser, ui_server, viewport, mode, name):
    services = ui_server.services
    page = open_page(browser, ui_server, viewport, mode)
    sign_in(page, ADMIN, "as admin")
    before_mc = open_credits(page)
    assert before_mc == services.credits.account("bergveld").balance_mc
    shot(page, f"billing-01-{name}-{mode}-credits")

    page.locator("#buy-pack").get_by_text(PACK_LABEL).click()
    page.locator("#buy-credits").click()
    expect(page.locator("#buy-status")).to_contain_text(f"Your order of {PACK_LABEL} is ready.")
    proceed = page.locator("#continue-to-payfast")
    expect(proceed).to_be_visible()
    posted = page.eval_on_selector_all("#payfast-form input", "inputs => inputs.map((i) => [i.name, i.type])")
    assert {field for field, _ in posted} == PAYFAST_FIELDS and {kind for _, kind in posted} == {"hidden"}
    form = page.locator("#buy-checkout").inner_html()
    assert ADMIN not in form and "fxs1." not in form  # neither the key nor the session token leaves with it
    proceed.scroll_into_view_if_needed()
    shot(page, f"billing-02-{name}-{mode}-continue")

    proceed.click()
    page.wait_for_url(re.compile(r"/_sandbox/payfast/eng/process$"))
    expect(page.locator("body")).to_contain_text("R575.00")
    shot(page, f"billing-03-{name}-{mode}-payfast")
    page.locator("#payfast-pay").click()

    page.wait_for_url(re.compile(r"/billing/return/[0-9a-f]{32}$"))
    purchase_id = page.url.rsplit("/", 1)[1]
    status = page.locator("#payment-status")
    expect(status).to_have_attribute("data-status", "complete", timeout=60_000)
    expect(status).to_contain_text("Payment received: 5,500 credits were added")  # written as the UI writes it
    shot(page, f"billing-04-{name}-{mode}-returned")
    purchase = services.purchases.get("bergveld", purchase_id)
    assert purchase.status == "complete" and purchase.invoice_number

    page.locator("#back-to-fluxori").click()
    expect(page.locator("#signin-status")).to_contain_text("as admin")  # local storage kept the session
    after_mc = open_credits(page)
    assert after_mc == before_mc + PACK_CREDITS * MC_PER_CREDIT
    expect(page.locator("#credits-summary")).to_contain_text(f"Balance: {credits_text(after_mc)}")
    invoices = page.locator("#billing-invoices")
    expect(invoices).to_contain_text(purchase.invoice_number)
    expect(invoices).to_contain_text("R575.00")
    expect(page.locator("#billing-purchases")).to_contain_text(f"complete, invoice {purchase.invoice_number}")
    expect(page.locator("#invoice-choice input")).to_have_value(re.compile(re.escape(purchase.invoice_number)))
    download_button = page.locator("#invoice-download")
    download_button.scroll_into_view_if_needed()
    shot(page, f"billing-05-{name}-{mode}-invoice")

    with page.expect_download() as download:
        download_button.click()
    assert download.value.suggested_filename == f"{purchase.invoice_number}.pdf"
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
    page.context.close()
